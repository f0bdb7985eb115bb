"""The compose stack, used as a client would: against the running containers.

``.ci/stack`` builds the images, starts ``docker compose up -d`` (PostgreSQL, the
migration, the API) and runs this module with the stack's address, its admin key and the
compose command that controls it. Elsewhere it skips: it needs a Docker engine.

One scenario, in order: a gallery and its key through the admin API; a subject with
signature and face references; verify and identify, genuine and impostor; a reference
deleted; the API container restarted, and every reference still in PostgreSQL and still
matching; the subject deleted, and nothing of it left in the database.
"""

import os
import shlex
import subprocess
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.app.test_shipped_signature_model import validation_writer
from tests.helpers import dataset_path

URL = os.environ.get("TWINVERIFY_STACK_URL", "")
ADMIN_KEY = os.environ.get("TWINVERIFY_STACK_ADMIN_KEY", "")
COMPOSE = shlex.split(os.environ.get("TWINVERIFY_STACK_COMPOSE", "docker-compose"))
CEDAR = dataset_path("cedar")
LFW = dataset_path("lfw") / "images"
# Clear cases for the shipped models (tests/app/test_shipped_signature_model.py and
# tests/app/test_face_service.py measure them in process).
GENUINE_SIGNATURE, FORGED_SIGNATURE = 18, 1
ENROLLED_FACES, SAME_FACE, OTHER_FACE = ("Abel_Pacheco", 1), ("Abel_Pacheco", 4), ("Dean_Barker", 1)

pytestmark = [
    pytest.mark.stack,
    pytest.mark.skipif(not URL, reason="needs a running compose stack (.ci/stack starts one)"),
]


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    if not (CEDAR.is_dir() and LFW.is_dir()):
        pytest.fail("the stack test enrols CEDAR signatures and LFW faces: ../shared is absent")
    with httpx.Client(base_url=URL, timeout=120) as client:
        wait_until_ready(client)
        yield client


def wait_until_ready(client: httpx.Client, within: float = 300) -> None:
    deadline = time.monotonic() + within
    while True:
        try:
            if client.get("/health/ready").status_code == 200:
                return
        except httpx.TransportError:
            pass  # the container is (re)starting
        if time.monotonic() > deadline:
            pytest.fail(f"{URL}/health/ready did not answer 200 within {within:.0f} s")
        time.sleep(2)


def compose(*args: str) -> str:
    done = subprocess.run([*COMPOSE, *args], capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stderr
    return done.stdout


def sql(query: str) -> str:
    """One value from PostgreSQL itself, inside the db container."""
    return compose(
        "exec", "-T", "db", "psql", "--username=twinverify", "--dbname=twinverify",
        "--no-align", "--tuples-only", "--command", query,
    ).strip()  # fmt: skip


def signature(kind: str, number: int) -> tuple[str, bytes, str]:
    writer = validation_writer()
    name = f"{kind}_{writer}_{number}.png"
    return name, (CEDAR / writer / name).read_bytes(), "image/png"


def face(person: tuple[str, int]) -> tuple[str, bytes, str]:
    name = f"{person[0]}_{person[1]:04d}.jpg"
    return name, (LFW / person[0] / name).read_bytes(), "image/jpeg"


class Api:
    """The stack's HTTP API with one gallery key."""

    def __init__(self, client: httpx.Client, key: str) -> None:
        self.client, self.headers = client, {"X-API-Key": key}

    def post(self, path: str, files: list[Any], **data: str) -> Any:
        response = self.client.post(path, data=data, files=files, headers=self.headers)
        assert response.status_code in (200, 201), response.text
        return response.json()

    def verify(self, subject: str, modality: str, probe: Any) -> Any:
        files = [("image", probe)]
        return self.post("/v1/verify", files, modality=modality, subject_id=subject)

    def identify(self, modality: str, probe: Any) -> Any:
        return self.post("/v1/identify", [("image", probe)], modality=modality)

    def references(self, subject: str) -> list[dict[str, Any]]:
        response = self.client.get(f"/v1/subjects/{subject}/references", headers=self.headers)
        assert response.status_code == 200, response.text
        listed: list[dict[str, Any]] = response.json()["items"]
        return listed

    def delete(self, path: str) -> None:
        response = self.client.delete(path, headers=self.headers)
        assert response.status_code == 204, response.text


def new_gallery_key(client: httpx.Client) -> str:
    admin = {"X-API-Key": ADMIN_KEY}
    name = f"stack-{uuid.uuid4().hex[:8]}"
    gallery = client.post("/v1/admin/galleries", json={"name": name}, headers=admin)
    assert gallery.status_code == 201, gallery.text
    path = f"/v1/admin/galleries/{gallery.json()['id']}/keys"
    issued = client.post(path, json={"name": "e2e"}, headers=admin)
    assert issued.status_code == 201, issued.text
    key: str = issued.json()["key"]
    return key


def stored_references(subject: str) -> int:
    return int(sql(f"SELECT count(*) FROM reference_embeddings WHERE subject_id = '{subject}'"))


def test_both_models_are_served(client: httpx.Client) -> None:
    key = {"X-API-Key": new_gallery_key(client)}
    listed = client.get("/v1/models", headers=key).json()["models"]
    enabled = {m["modality"]: m["enabled"] for m in listed}
    assert enabled == {"signature": True, "face": True}, listed


def test_enrol_verify_identify_restart_and_delete_against_the_containers(
    client: httpx.Client,
) -> None:
    api = Api(client, new_gallery_key(client))
    body = {"external_id": "customer-1", "name": "Customer One"}
    created = client.post("/v1/subjects", json=body, headers=api.headers)
    assert created.status_code == 201, created.text
    subject = created.json()["id"]

    signatures = [("images", signature("original", n)) for n in range(1, 6)]
    enrolled = api.post("/v1/enroll", signatures, modality="signature", subject_id=subject)
    assert [image["accepted"] for image in enrolled["images"]] == [True] * 5, enrolled
    faces = [("images", face(ENROLLED_FACES))]
    enrolled = api.post("/v1/enroll", faces, modality="face", subject_id=subject)
    assert [image["accepted"] for image in enrolled["images"]] == [True], enrolled
    assert len(api.references(subject)) == stored_references(subject) == 6

    genuine = api.verify(subject, "signature", signature("original", GENUINE_SIGNATURE))
    forged = api.verify(subject, "signature", signature("forgeries", FORGED_SIGNATURE))
    assert (genuine["match"], genuine["references_compared"]) == (True, 5), genuine
    assert forged["match"] is False, forged
    same = api.verify(subject, "face", face(SAME_FACE))
    other = api.verify(subject, "face", face(OTHER_FACE))
    assert (same["match"], other["match"]) == (True, False), (same, other)
    found = api.identify("face", face(SAME_FACE))
    assert [c["subject"]["id"] for c in found["candidates"]] == [subject], found
    nobody = api.identify("face", face(OTHER_FACE))
    assert (nobody["unknown"], nobody["candidates"]) == (True, []), nobody

    # One signature reference removed: five references remain, four of them signatures.
    first = next(r for r in api.references(subject) if r["modality"] == "signature")
    api.delete(f"/v1/subjects/{subject}/references/{first['id']}")
    kept = {r["id"] for r in api.references(subject)}
    assert len(kept) == 5

    # The API container restarts; the references live in PostgreSQL, not in the container.
    compose("restart", "api")
    wait_until_ready(client)
    assert {r["id"] for r in api.references(subject)} == kept
    assert stored_references(subject) == 5
    again = api.verify(subject, "signature", signature("original", GENUINE_SIGNATURE))
    assert (again["match"], again["references_compared"]) == (True, 4), again
    same_again = api.verify(subject, "face", face(SAME_FACE))
    assert same_again["score"] == pytest.approx(same["score"], abs=1e-5)

    api.delete(f"/v1/subjects/{subject}")
    assert client.get(f"/v1/subjects/{subject}", headers=api.headers).status_code == 404
    assert stored_references(subject) == 0
    assert api.identify("face", face(SAME_FACE))["unknown"] is True
