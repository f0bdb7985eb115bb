"""POST /enroll, /verify and /identify answer exactly as their /v1/ twins."""

from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.app.service import assert_problem, default_key, files
from tests.app.signature_images import digit_indices, png

pytestmark = pytest.mark.anyio


def _without_ids(body: dict[str, object]) -> dict[str, object]:
    """An enrol's answer less what differs between two enrolments of the same images."""
    return {name: value for name, value in body.items() if name not in {"subject", "images"}}


async def test_unversioned_calls_answer_as_the_current_version(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    key = default_key(tmp_path)
    sevens, ones = digit_indices()[7][:4], digit_indices()[1][:3]
    enrolled = {}
    for path, writer in (("/enroll", "front"), ("/v1/enroll", "versioned")):
        response = await client.post(
            path,
            data={"modality": "signature", "external_id": writer, "create": "true"},
            files=files("images", *(png(i) for i in sevens[:3])),
            headers=key,
        )
        assert response.status_code == 201, response.text
        enrolled[path] = response.json()
    assert _without_ids(enrolled["/enroll"]) == _without_ids(enrolled["/v1/enroll"])
    assert enrolled["/enroll"]["subject"]["external_id"] == "front"
    assert enrolled["/enroll"]["accepted"] == 3

    for probe, expected in ((sevens[3], True), (ones[0], False)):
        answers = []
        for path in ("/verify", "/v1/verify"):
            response = await client.post(
                path,
                data={"modality": "signature", "external_id": "front"},
                files=files("image", png(probe)),
                headers=key,
            )
            assert response.status_code == 200, response.text
            answers.append(response.json())
        assert answers[0] == answers[1]
        assert answers[0]["match"] is expected

    identified = []
    for path in ("/identify", "/v1/identify"):
        response = await client.post(
            path, data={"modality": "signature"}, files=files("image", png(sevens[3])), headers=key
        )
        assert response.status_code == 200, response.text
        identified.append(response.json())
    assert identified[0] == identified[1]
    assert {c["subject"]["external_id"] for c in identified[0]["candidates"]} == {
        "front",
        "versioned",
    }


async def test_unversioned_calls_check_the_key_and_the_body_as_their_twins(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    for path in ("/enroll", "/verify", "/identify"):
        no_key = await client.post(path, data={"modality": "signature"})
        assert_problem(no_key, 401, "missing-api-key")
        unknown = await client.post(
            path,
            data={"modality": "signature", "external_id": "nobody"},
            files=files("image" if path != "/enroll" else "images", png(1)),
            headers=default_key(tmp_path),
        )
        twin = await client.post(
            "/v1" + path,
            data={"modality": "signature", "external_id": "nobody"},
            files=files("image" if path != "/enroll" else "images", png(1)),
            headers=default_key(tmp_path),
        )
        assert unknown.status_code == twin.status_code
        if path != "/identify":  # an unknown subject, refused alike
            assert_problem(unknown, 404, "subject-not-found")
            assert unknown.json()["detail"] == twin.json()["detail"]


async def test_openapi_documents_the_front_door_as_the_current_version(
    client: httpx.AsyncClient,
) -> None:
    document = (await client.get("/openapi.json")).json()
    paths, schemas = document["paths"], document["components"]["schemas"]

    def body(operation: dict[str, Any]) -> dict[str, Any]:
        reference = operation["requestBody"]["content"]["multipart/form-data"]["schema"]["$ref"]
        fields: dict[str, Any] = schemas[reference.rpartition("/")[2]]
        return {name: value for name, value in fields.items() if name != "title"}

    for path in ("/enroll", "/verify", "/identify"):
        operation, twin = paths[path]["post"], paths["/v1" + path]["post"]
        assert f"/v1{path}" in operation["description"]
        assert body(operation) == body(twin)
        assert {code: r["description"] for code, r in operation["responses"].items()} == {
            code: r["description"] for code, r in twin["responses"].items()
        }
        assert operation["operationId"] != twin["operationId"]
