"""Subjects over HTTP: CRUD, pagination, per-gallery isolation, deletion for real."""

import asyncio
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.db.models import Reference, ReferenceRemoval, Subject
from tests.app.client import client_for
from tests.app.rows import reference_row
from tests.app.service import new_gallery

pytestmark = pytest.mark.anyio

ADMIN = {"X-API-Key": "a" * 32}


async def second_gallery_key(client: httpx.AsyncClient) -> dict[str, str]:
    _, key = await new_gallery(client, "other")
    return {"X-API-Key": key["key"]}


def app_settings(tmp_path: Path, database_url: str) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        admin_key="a" * 32,
        device="cpu",
        face_checkpoint=None,
    )


async def test_subject_lifecycle_and_isolation(tmp_path: Path, database_url: str) -> None:
    async with client_for(app_settings(tmp_path, database_url)) as client:
        mine = {"X-API-Key": (tmp_path / "default-api-key").read_text().strip()}
        theirs = await second_gallery_key(client)

        created = await client.post(
            "/v1/subjects",
            json={"external_id": "cust-42", "name": "Ada", "metadata": {"branch": 7}},
            headers=mine,
        )
        assert created.status_code == 201
        subject = created.json()
        assert (subject["external_id"], subject["name"], subject["metadata"]) == (
            "cust-42",
            "Ada",
            {"branch": 7},
        )
        duplicate = await client.post("/v1/subjects", json={"external_id": "cust-42"}, headers=mine)
        assert (duplicate.status_code, duplicate.json()["type"]) == (
            409,
            "/problems/external-id-exists",
        )
        # the same external id is free in another gallery
        assert (
            await client.post("/v1/subjects", json={"external_id": "cust-42"}, headers=theirs)
        ).status_code == 201

        url = f"/v1/subjects/{subject['id']}"
        assert (await client.get(url, headers=mine)).json()["name"] == "Ada"
        reach = await client.get(url, headers=theirs)
        assert (reach.status_code, reach.json()["type"]) == (404, "/problems/subject-not-found")
        assert (await client.delete(url, headers=theirs)).status_code == 404
        assert (await client.patch(url, json={"name": "x"}, headers=theirs)).status_code == 404

        patched = await client.patch(
            url, json={"name": "Ada L.", "metadata": {"vip": True}}, headers=mine
        )
        assert patched.json()["name"] == "Ada L."
        assert patched.json()["metadata"] == {"vip": True}
        assert patched.json()["external_id"] == "cust-42"  # absent fields stay

        assert (await client.delete(url, headers=mine)).status_code == 204
        assert (await client.get(url, headers=mine)).status_code == 404
        assert (await client.get("/v1/subjects", headers=theirs)).json()["total"] == 1


async def test_pagination_is_stable_and_bounded(tmp_path: Path, database_url: str) -> None:
    async with client_for(app_settings(tmp_path, database_url)) as client:
        mine = {"X-API-Key": (tmp_path / "default-api-key").read_text().strip()}
        ids = [
            (await client.post("/v1/subjects", json={"external_id": f"s{i}"}, headers=mine)).json()[
                "id"
            ]
            for i in range(7)
        ]
        pages = [
            (
                await client.get(
                    "/v1/subjects", params={"limit": 3, "offset": offset}, headers=mine
                )
            ).json()
            for offset in (0, 3, 6)
        ]
        assert [len(p["items"]) for p in pages] == [3, 3, 1]
        assert all(p["total"] == 7 for p in pages)
        assert sorted(item["id"] for p in pages for item in p["items"]) == sorted(ids)
        too_big = await client.get("/v1/subjects", params={"limit": 501}, headers=mine)
        assert (too_big.status_code, too_big.json()["type"]) == (422, "/problems/validation-error")
        assert "query.limit" in too_big.json()["detail"]
        # an offset past 64 bits (or past any gallery) is a 422, not the database's overflow
        for offset in (2**63, 10**9 + 1):
            far = await client.get("/v1/subjects", params={"offset": offset}, headers=mine)
            assert (far.status_code, far.json()["type"]) == (422, "/problems/validation-error")
            assert "query.offset" in far.json()["detail"]
        last = await client.get("/v1/subjects", params={"offset": 10**9}, headers=mine)
        assert (last.status_code, last.json()["items"], last.json()["total"]) == (200, [], 7)
        unauthenticated = await client.get("/v1/subjects")
        assert unauthenticated.status_code == 401


def count_rows(database_url: str, table: type[Reference] | type[ReferenceRemoval]) -> int:
    engine = create_engine(database_url)
    with engine.connect() as connection:
        count = connection.execute(select(func.count()).select_from(table)).scalar_one()
    engine.dispose()
    return int(count)


def count_references(database_url: str) -> int:
    return count_rows(database_url, Reference)


def add_references(database_url: str, subject_id: str, count: int) -> list[str]:
    """``count`` reference rows for the subject, straight into SQL; their ids."""
    engine = create_engine(database_url)
    with Session(engine) as session, session.begin():
        owner = session.get_one(Subject, uuid.UUID(subject_id))
        rows = [reference_row(owner.id, owner.gallery_id, n) for n in range(count)]
        session.add_all(rows)
        session.flush()
        ids = [str(row.id) for row in rows]
    engine.dispose()
    return ids


async def test_deleting_a_subject_deletes_its_references(tmp_path: Path, database_url: str) -> None:
    async with client_for(app_settings(tmp_path, database_url)) as client:
        mine = {"X-API-Key": (tmp_path / "default-api-key").read_text().strip()}
        subject = (await client.post("/v1/subjects", json={"name": "Ada"}, headers=mine)).json()
        add_references(database_url, subject["id"], 2)
        assert count_references(database_url) == 2
        assert (
            await client.delete(f"/v1/subjects/{subject['id']}", headers=mine)
        ).status_code == 204
    assert count_references(database_url) == 0


async def test_parallel_creates_of_one_external_id_give_one_subject_and_conflicts(
    tmp_path: Path, database_url: str
) -> None:
    """16 requests race to create one external id: one 201, every other a 409 problem (a
    unique violation between lookup and insert is a conflict, not a server error)."""
    async with client_for(app_settings(tmp_path, database_url)) as client:
        mine = {"X-API-Key": (tmp_path / "default-api-key").read_text().strip()}

        async def create() -> httpx.Response:
            return await client.post("/v1/subjects", json={"external_id": "same"}, headers=mine)

        responses = await asyncio.gather(*(create() for _ in range(16)))
        statuses = sorted(r.status_code for r in responses)
        assert statuses == [201] + [409] * 15, [r.text for r in responses]
        for conflict in (r for r in responses if r.status_code == 409):
            assert conflict.json()["type"] == "/problems/external-id-exists"
        listed = await client.get("/v1/subjects", headers=mine)
        assert listed.json()["total"] == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("external_id", "a\x00b"),
        ("name", "\x00"),
        ("metadata", {"note": "x\x00"}),
        ("metadata", {"k\x00": 1}),
        ("metadata", {"deep": [[[[[[[[[["too deep"]]]]]]]]]]}),
        ("metadata", {"blob": "x" * 20_000}),
    ],
)
async def test_text_no_database_can_store_is_a_validation_problem(
    tmp_path: Path, database_url: str, field: str, value: object
) -> None:
    """NUL characters were a 500 on PostgreSQL (text and JSONB refuse them)."""
    async with client_for(app_settings(tmp_path, database_url)) as client:
        key = {"X-API-Key": (tmp_path / "default-api-key").read_text().strip()}
        created = await client.post("/v1/subjects", json={field: value}, headers=key)
        assert created.status_code == 422, created.text
        assert created.json()["type"] == "/problems/validation-error"
        assert field in created.json()["detail"]
        subject = (await client.post("/v1/subjects", json={"name": "ok"}, headers=key)).json()
        patched = await client.patch(
            f"/v1/subjects/{subject['id']}", json={field: value}, headers=key
        )
        assert patched.status_code == 422, patched.text
        listed = (await client.get("/v1/subjects", headers=key)).json()
        assert [item["name"] for item in listed["items"]] == ["ok"]


async def test_a_lone_surrogate_and_a_form_nul_are_validation_problems(
    tmp_path: Path, database_url: str
) -> None:
    async with client_for(app_settings(tmp_path, database_url), ready=True) as client:
        key = {"X-API-Key": (tmp_path / "default-api-key").read_text().strip()}
        raw = b'{"external_id": "a\\ud800b"}'
        response = await client.post(
            "/v1/subjects", content=raw, headers={**key, "content-type": "application/json"}
        )
        assert response.status_code == 422, response.text
        enrolled = await client.post(
            "/v1/enroll",
            data={"modality": "signature", "external_id": "w\x00", "create": "true"},
            files=[("images", ("a.png", b"\x89PNG", "image/png"))],
            headers=key,
        )
        assert enrolled.status_code == 422, enrolled.text
        assert "external_id" in enrolled.json()["detail"]
        assert (await client.get("/v1/subjects", headers=key)).json()["total"] == 0


async def test_json_nested_past_any_parser_limit_is_a_client_error(
    tmp_path: Path, database_url: str
) -> None:
    async with client_for(app_settings(tmp_path, database_url)) as client:
        key = {"X-API-Key": (tmp_path / "default-api-key").read_text().strip()}
        for body in (b"[" * 50_000, b'{"metadata": ' + b"[" * 50_000 + b"]" * 50_000 + b"}"):
            response = await client.post(
                "/v1/subjects", content=body, headers={**key, "content-type": "application/json"}
            )
            assert 400 <= response.status_code < 500, response.text[:200]
            assert response.headers["content-type"] == "application/problem+json"


def count_removals(database_url: str) -> int:
    return count_rows(database_url, ReferenceRemoval)


async def test_parallel_deletes_of_one_reference_or_subject_succeed_once(
    tmp_path: Path, database_url: str
) -> None:
    """8 racing DELETEs of one reference (then of one subject): one 204, seven 404 problems,
    and one removal recorded per reference (they all answered 204 and wrote 6-8)."""
    async with client_for(app_settings(tmp_path, database_url)) as client:
        mine = {"X-API-Key": (tmp_path / "default-api-key").read_text().strip()}
        subject = (await client.post("/v1/subjects", json={"name": "Ada"}, headers=mine)).json()
        first = add_references(database_url, subject["id"], 3)[0]
        path = f"/v1/subjects/{subject['id']}"

        async def statuses(url: str) -> list[int]:
            responses = await asyncio.gather(*(client.delete(url, headers=mine) for _ in range(8)))
            for response in responses:
                if response.status_code != 204:
                    assert response.headers["content-type"] == "application/problem+json"
            return sorted(r.status_code for r in responses)

        assert await statuses(f"{path}/references/{first}") == [204] + [404] * 7
        assert count_references(database_url) == 2
        assert count_removals(database_url) == 1
        assert await statuses(path) == [204] + [404] * 7
        assert count_references(database_url) == 0
        assert count_removals(database_url) == 3
        assert (await client.get(path, headers=mine)).status_code == 404


async def test_a_json_body_over_its_cap_is_refused_before_it_is_parsed(
    tmp_path: Path, database_url: str
) -> None:
    """A 50 MB metadata object was accepted, then returned by every listing."""
    async with client_for(app_settings(tmp_path, database_url)) as client:
        key = {"X-API-Key": (tmp_path / "default-api-key").read_text().strip()}
        cap = 64 * 1024
        body = b'{"metadata": {"blob": "' + b"x" * cap + b'"}}'
        declared = await client.post(
            "/v1/subjects", content=body, headers={**key, "content-type": "application/json"}
        )
        assert declared.status_code == 413
        assert declared.json()["detail"] == f"the request body exceeds {cap:,} bytes"

        async def chunks() -> AsyncIterator[bytes]:
            yield body

        streamed = await client.post(
            "/v1/subjects", content=chunks(), headers={**key, "content-type": "application/json"}
        )
        assert streamed.status_code == 413
        # a body with no content type is held to the same cap
        untyped = await client.post("/v1/subjects", content=body, headers=key)
        assert untyped.status_code == 413
        assert (await client.get("/v1/subjects", headers=key)).json()["total"] == 0
        small = await client.post("/v1/subjects", json={"metadata": {"a": "b"}}, headers=key)
        assert small.status_code == 201


async def test_timestamps_are_the_same_aware_utc_on_create_and_read(
    tmp_path: Path, database_url: str
) -> None:
    async with client_for(app_settings(tmp_path, database_url)) as client:
        key = {"X-API-Key": (tmp_path / "default-api-key").read_text().strip()}
        created = (await client.post("/v1/subjects", json={"name": "Ada"}, headers=key)).json()
        read = (await client.get(f"/v1/subjects/{created['id']}", headers=key)).json()
        listed = (await client.get("/v1/subjects", headers=key)).json()["items"][0]
    for field in ("created_at", "updated_at"):
        assert created[field].endswith("Z") or created[field].endswith("+00:00")
        assert read[field] == created[field] == listed[field]
