"""Galleries, API keys and the first-start default gallery, over HTTP."""

import stat
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from app.core.config import Settings
from tests.app.client import client_for

pytestmark = pytest.mark.anyio

ADMIN = "a" * 32


def settings(tmp_path: Path, database_url: str, admin: str | None = ADMIN) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        admin_key=admin,
        device="cpu",
        face_checkpoint=None,
    )


async def test_first_start_creates_the_default_gallery_and_its_key_once(
    tmp_path: Path, database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    async with client_for(settings(tmp_path, database_url)) as client:
        key_file = tmp_path / "default-api-key"
        key = key_file.read_text().strip()
        assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
        assert key in capsys.readouterr().out
        response = await client.get("/v1/whoami", headers={"X-API-Key": key})
        assert response.status_code == 200
        assert response.json()["gallery"] == "default"
    key_file.unlink()
    async with client_for(settings(tmp_path, database_url)) as client:
        assert not key_file.exists()  # the second start creates nothing
        assert key not in capsys.readouterr().out
        galleries = await client.get("/v1/admin/galleries", headers={"X-API-Key": ADMIN})
        assert [g["name"] for g in galleries.json()] == ["default"]


async def test_admin_endpoints_need_the_admin_key(tmp_path: Path, database_url: str) -> None:
    async with client_for(settings(tmp_path, database_url)) as client:
        missing = await client.get("/v1/admin/galleries")
        wrong = await client.get("/v1/admin/galleries", headers={"X-API-Key": "b" * 32})
        gallery_key = (tmp_path / "default-api-key").read_text().strip()
        not_admin = await client.get("/v1/admin/galleries", headers={"X-API-Key": gallery_key})
    assert (missing.status_code, missing.json()["type"]) == (401, "/problems/missing-api-key")
    assert (wrong.status_code, wrong.json()["type"]) == (403, "/problems/admin-required")
    assert not_admin.status_code == 403
    assert missing.headers["content-type"] == "application/problem+json"


async def test_without_an_admin_key_configured_admin_is_closed(
    tmp_path: Path, database_url: str
) -> None:
    async with client_for(settings(tmp_path, database_url, admin=None)) as client:
        response = await client.get("/v1/admin/galleries", headers={"X-API-Key": ""})
        empty = await client.get("/v1/admin/galleries", headers={"X-API-Key": "x"})
    assert response.status_code == 401
    assert empty.status_code == 403


async def test_gallery_and_key_lifecycle(tmp_path: Path, database_url: str) -> None:
    admin = {"X-API-Key": ADMIN}
    async with client_for(settings(tmp_path, database_url)) as client:
        created = await client.post("/v1/admin/galleries", json={"name": "branch-7"}, headers=admin)
        assert created.status_code == 201
        gallery_id = created.json()["id"]
        duplicate = await client.post(
            "/v1/admin/galleries", json={"name": "branch-7"}, headers=admin
        )
        assert (duplicate.status_code, duplicate.json()["type"]) == (
            409,
            "/problems/gallery-exists",
        )
        invalid = await client.post(
            "/v1/admin/galleries", json={"name": "no spaces"}, headers=admin
        )
        assert (invalid.status_code, invalid.json()["type"]) == (422, "/problems/validation-error")
        assert "body.name" in invalid.json()["detail"]

        issued = await client.post(
            f"/v1/admin/galleries/{gallery_id}/keys", json={"name": "teller"}, headers=admin
        )
        assert issued.status_code == 201
        secret = issued.json()["key"]
        assert secret.startswith("tv_")
        assert issued.json()["prefix"] == secret[:10]
        me = await client.get("/v1/whoami", headers={"X-API-Key": secret})
        assert me.json() == {
            "gallery_id": gallery_id,
            "gallery": "branch-7",
            "key_name": "teller",
            "key_prefix": secret[:10],
        }

        revoked = await client.delete(f"/v1/admin/keys/{issued.json()['id']}", headers=admin)
        assert revoked.status_code == 200
        assert revoked.json()["revoked_at"] is not None
        refused = await client.get("/v1/whoami", headers={"X-API-Key": secret})
        assert (refused.status_code, refused.json()["type"]) == (401, "/problems/invalid-api-key")

        unknown_gallery = await client.post(
            "/v1/admin/galleries/00000000-0000-0000-0000-000000000000/keys",
            json={"name": "x"},
            headers=admin,
        )
        assert (unknown_gallery.status_code, unknown_gallery.json()["type"]) == (
            404,
            "/problems/gallery-not-found",
        )
        unknown_key = await client.delete(
            "/v1/admin/keys/00000000-0000-0000-0000-000000000000", headers=admin
        )
        assert unknown_key.status_code == 404
    engine = create_engine(database_url)
    with engine.connect() as connection:
        stored = connection.execute(text("SELECT key_sha256 FROM api_keys")).scalars().all()
    engine.dispose()
    assert secret not in stored
    assert all(len(digest) == 64 for digest in stored)


async def test_no_response_may_be_cached_least_of_all_a_new_key(
    tmp_path: Path, database_url: str
) -> None:
    async with client_for(settings(tmp_path, database_url)) as client:
        admin = {"X-API-Key": ADMIN}
        gallery = await client.post("/v1/admin/galleries", json={"name": "g"}, headers=admin)
        issued = await client.post(
            f"/v1/admin/galleries/{gallery.json()['id']}/keys", json={"name": "k"}, headers=admin
        )
        assert issued.status_code == 201
        assert issued.json()["key"].startswith("tv_")
        listed = await client.get("/v1/subjects", headers={"X-API-Key": issued.json()["key"]})
        refused = await client.get("/v1/subjects")
        for response in (gallery, issued, listed, refused):
            assert response.headers["cache-control"] == "no-store"
