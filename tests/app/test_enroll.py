"""Enrolment over HTTP: one reference per accepted image, a reason for each rejected one."""

import hashlib
import uuid
from pathlib import Path

import httpx
import pytest
from PIL import Image
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.db.models import Reference, Subject
from tests.app.client import client_for
from tests.app.service import (
    assert_problem,
    blank_page,
    default_key,
    encoded,
    enroll,
    files,
    service_settings,
)
from tests.app.signature_images import digit_indices, page, png

pytestmark = pytest.mark.anyio


def stored(database_url: str) -> tuple[list[Reference], list[Subject]]:
    engine = create_engine(database_url)
    with Session(engine) as session:
        references = list(session.scalars(select(Reference).order_by(Reference.sequence)))
        subjects = list(session.scalars(select(Subject)))
    engine.dispose()
    return references, subjects


async def test_enroll_stores_one_reference_per_image_with_its_model_and_digest(
    tmp_path: Path, database_url: str, client: httpx.AsyncClient
) -> None:
    threes = digit_indices()[3][100:103]
    key = default_key(tmp_path)
    response = await enroll(client, key, threes, "writer-3")
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["subject_created"] is True
    assert body["subject"]["external_id"] == "writer-3"
    assert body["model"] == {"name": "test-signature", "version": "1"}
    assert (body["accepted"], body["rejected"]) == (3, 0)
    # A second enrolment adds to the same subject.
    again = await enroll(client, key, [digit_indices()[3][103]], "writer-3", create=False)
    assert again.status_code == 201, again.text
    assert again.json()["subject_created"] is False
    assert again.json()["subject"]["id"] == body["subject"]["id"]

    references, subjects = stored(database_url)
    assert len(subjects) == 1
    assert len(references) == 4
    expected = [hashlib.sha256(png(i)).hexdigest() for i in [*threes, digit_indices()[3][103]]]
    assert [r.image_sha256 for r in references] == expected
    assert {(r.modality, r.model_name, r.model_version, r.dimension) for r in references} == {
        ("signature", "test-signature", "1", 128)
    }
    assert all(len(r.embedding) == 128 * 4 for r in references)
    assert [str(r.id) for r in references[:3]] == [i["reference_id"] for i in body["images"]]


async def test_each_image_is_accepted_or_rejected_with_its_reason(
    tmp_path: Path, database_url: str, client: httpx.AsyncClient
) -> None:
    good = png(digit_indices()[4][100])
    images = [
        good,
        b"",
        good[: len(good) // 2],
        encoded(page(7), "GIF"),
        blank_page(),
        encoded(Image.new("L", (20, 20), 0), "PNG"),
        good,
        b"%PDF-1.7 not an image",
    ]
    reasons = [
        None,
        "image-unreadable",
        "image-unreadable",
        "unsupported-image-format",
        "no-signature-found",
        "too-small",
        "duplicate-image",
        "image-unreadable",
    ]
    response = await client.post(
        "/v1/enroll",
        data={"modality": "signature", "external_id": "w4", "create": "true"},
        files=files("images", *images),
        headers=default_key(tmp_path),
    )
    assert response.status_code == 201, response.text
    outcomes = response.json()["images"]
    assert [o["reason"] for o in outcomes] == reasons
    assert [o["accepted"] for o in outcomes] == [r is None for r in reasons]
    assert all(o["detail"] for o in outcomes[1:])
    references, _ = stored(database_url)
    assert [str(r.id) for r in references] == [outcomes[0]["reference_id"]]


async def test_an_enroll_without_any_usable_image_stores_nothing(
    tmp_path: Path, database_url: str, client: httpx.AsyncClient
) -> None:
    response = await client.post(
        "/v1/enroll",
        data={"modality": "signature", "external_id": "nobody", "create": "true"},
        files=files("images", b"", blank_page()),
        headers=default_key(tmp_path),
    )
    body = assert_problem(response, 422, "no-image-accepted")
    assert [i["reason"] for i in body["images"]] == ["image-unreadable", "no-signature-found"]
    references, subjects = stored(database_url)
    assert references == []
    assert subjects == []  # the subject asked for is not created either


async def test_exif_orientation_is_applied_before_embedding(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    upright = page(digit_indices()[5][100])
    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90 degrees clockwise to display"
    sideways = encoded(upright.rotate(90, expand=True), "PNG", exif=exif)
    response = await client.post(
        "/v1/verify",
        data={"modality": "signature"},
        files=[
            ("image", ("a.png", encoded(upright, "PNG"), "image/png")),
            ("image_b", ("b.png", sideways, "image/png")),
        ],
        headers=default_key(tmp_path),
    )
    assert response.status_code == 200, response.text
    assert response.json()["score"] == pytest.approx(0.0, abs=1e-5)
    assert response.json()["match"] is True


async def test_enroll_refuses_what_it_cannot_resolve(
    tmp_path: Path, database_url: str, signature_checkpoint: Path
) -> None:
    image = files("images", png(digit_indices()[1][100]))
    settings = service_settings(tmp_path, database_url, signature_checkpoint, max_enroll_images=2)
    async with client_for(settings, ready=True) as client:
        key = default_key(tmp_path)
        unknown_external = await client.post(
            "/v1/enroll",
            data={"modality": "signature", "external_id": "nobody"},
            files=image,
            headers=key,
        )
        unknown = assert_problem(unknown_external, 404, "subject-not-found")
        assert "create=true" in unknown["detail"]
        unknown_id = await client.post(
            "/v1/enroll",
            data={"modality": "signature", "subject_id": str(uuid.uuid4())},
            files=image,
            headers=key,
        )
        assert_problem(unknown_id, 404, "subject-not-found")
        both = await client.post(
            "/v1/enroll",
            data={"modality": "signature", "subject_id": str(uuid.uuid4()), "external_id": "x"},
            files=image,
            headers=key,
        )
        assert_problem(both, 422, "validation-error")
        face = await client.post(
            "/v1/enroll",
            data={"modality": "face", "external_id": "x", "create": "true"},
            files=image,
            headers=key,
        )
        assert_problem(face, 409, "modality-not-enabled")
        too_many = await client.post(
            "/v1/enroll",
            data={"modality": "signature", "external_id": "x", "create": "true"},
            files=files("images", *(png(i) for i in digit_indices()[1][100:103])),
            headers=key,
        )
        assert_problem(too_many, 422, "validation-error")
        no_images = await client.post(
            "/v1/enroll",
            data={"modality": "signature", "external_id": "x", "create": "true"},
            headers=key,
        )
        assert_problem(no_images, 422, "validation-error")
    references, subjects = stored(database_url)
    assert (references, subjects) == ([], [])
