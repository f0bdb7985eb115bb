"""The audit trail: every decision, enrolment, deletion, key change and failed
authentication, queryable by the admin, never holding an image or a secret."""

from pathlib import Path

import pytest

from tests.app.client import client_for
from tests.app.service import ADMIN_KEY, files, new_gallery, service_settings
from tests.app.signature_images import digit_indices, png

pytestmark = pytest.mark.anyio

ADMIN = {"X-API-Key": ADMIN_KEY}


async def test_the_trail_records_every_action_and_pages_newest_first(
    tmp_path: Path, database_url: str, signature_checkpoint: Path
) -> None:
    settings = service_settings(tmp_path, database_url, signature_checkpoint)
    async with client_for(settings, ready=True, client_address="192.0.2.44") as client:
        gallery, issued = await new_gallery(client, "bank", "teller")
        key = {"X-API-Key": issued["key"]}
        indices = digit_indices()[3]
        enrolled = await client.post(
            "/v1/enroll",
            data={"modality": "signature", "external_id": "w3", "create": "true"},
            files=files("images", *(png(i) for i in indices[100:103])),
            headers=key,
        )
        assert enrolled.status_code == 201, enrolled.text
        subject_id = enrolled.json()["subject"]["id"]
        references = [image["reference_id"] for image in enrolled.json()["images"]]
        verified = await client.post(
            "/v1/verify",
            data={"modality": "signature", "external_id": "w3"},
            files=files("image", png(indices[110])),
            headers=key,
        )
        assert verified.status_code == 200
        removed = await client.delete(
            f"/v1/subjects/{subject_id}/references/{references[0]}", headers=key
        )
        assert removed.status_code == 204
        assert (await client.delete(f"/v1/subjects/{subject_id}", headers=key)).status_code == 204
        wrong = "tv_" + "x" * 43
        assert (await client.get("/v1/subjects", headers={"X-API-Key": wrong})).status_code == 401
        assert (await client.get("/v1/admin/audit", headers=key)).status_code == 403
        revoked = await client.delete(f"/v1/admin/keys/{issued['id']}", headers=ADMIN)
        assert revoked.status_code == 200

        trail = (await client.get("/v1/admin/audit", headers=ADMIN)).json()
        actions = [event["action"] for event in trail["items"]]
        assert actions == [
            "key.revoke",
            "auth.failed",  # the gallery key on the admin route
            "auth.failed",  # the unknown key
            "subject.delete",
            "reference.delete",
            "verify",
            "enroll",
            "key.create",
            "gallery.create",
        ]
        assert trail["next_before_id"] is None
        by_action = {event["action"]: event for event in reversed(trail["items"])}
        enroll = by_action["enroll"]
        assert enroll["api_key_id"] == issued["id"]
        assert enroll["gallery_id"] == gallery["id"]
        assert enroll["subject_id"] == subject_id
        assert enroll["details"]["references"] == references
        assert enroll["details"]["created_subject"] is True
        assert by_action["verify"]["decision"] is not None
        assert by_action["reference.delete"]["details"]["reference"] == references[0]
        failed = [event for event in trail["items"] if event["action"] == "auth.failed"]
        assert {event["details"]["reason"] for event in failed} == {
            "invalid-api-key",
            "admin-required",
        }
        assert all(event["details"]["client"] == "192.0.2.44" for event in failed)
        assert all(event["gallery_id"] is None for event in failed)
        # no secret and no image in the trail, not even a prefix of the keys tried
        text = str(trail)
        for secret in (issued["key"], wrong, ADMIN_KEY):
            assert secret[:12] not in text

        # filtered, and paged by cursor
        only = await client.get("/v1/admin/audit", params={"action": "auth.failed"}, headers=ADMIN)
        assert [e["action"] for e in only.json()["items"]] == ["auth.failed", "auth.failed"]
        mine = await client.get(
            "/v1/admin/audit", params={"gallery_id": gallery["id"]}, headers=ADMIN
        )
        assert len(mine.json()["items"]) == 7
        pages, cursor = [], None
        while True:
            params = {"limit": 4} | ({"before_id": cursor} if cursor else {})
            page = (await client.get("/v1/admin/audit", params=params, headers=ADMIN)).json()
            pages.append([e["id"] for e in page["items"]])
            cursor = page["next_before_id"]
            if cursor is None:
                break
        assert [len(p) for p in pages] == [4, 4, 1]
        assert [i for p in pages for i in p] == [e["id"] for e in trail["items"]]
        bad = await client.get("/v1/admin/audit", params={"action": "drop table"}, headers=ADMIN)
        assert bad.status_code == 422
        naive = await client.get(
            "/v1/admin/audit", params={"since": "2026-01-01T00:00:00"}, headers=ADMIN
        )
        assert naive.status_code == 422
        since = await client.get(
            "/v1/admin/audit", params={"since": "2100-01-01T00:00:00Z"}, headers=ADMIN
        )
        assert since.json()["items"] == []
