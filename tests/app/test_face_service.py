"""Face verification through the API with the default face model (dlib's weights,
imported on first start), on LFW photos.

Enrols one photo of a person, then verifies another photo of that person and a photo of
someone else at the service's default operating point (FAR 1e-3).
"""

import io
from pathlib import Path

import httpx
import numpy as np
import pytest
from PIL import Image

from app.core.config import Settings
from models.dlib_checkpoint import import_dlib_checkpoint, installed_dlib_weights
from tests.app.client import client_for
from tests.app.service import ADMIN_KEY, assert_problem, default_key
from tests.helpers import dataset_path

LFW = dataset_path("lfw") / "images"
# A same-person pair and a different-person pair of LFW's fold 1.
ENROLLED, SAME, OTHER = ("Abel_Pacheco", 1), ("Abel_Pacheco", 4), ("Dean_Barker", 1)

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.dataset,
    pytest.mark.skipif(not LFW.is_dir(), reason="../shared/datasets/lfw is not present"),
]


@pytest.fixture(scope="module")
def face_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The calibrated import, once for the module (importing takes seconds)."""
    out = tmp_path_factory.mktemp("face") / "face.safetensors"
    return import_dlib_checkpoint(installed_dlib_weights(), out)


def photo(person: tuple[str, int]) -> bytes:
    name, number = person
    return (LFW / name / f"{name}_{number:04d}.jpg").read_bytes()


def jpeg(pixels: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="JPEG", quality=95)
    return buffer.getvalue()


def two_people() -> bytes:
    """Two LFW photos side by side: two faces of the same size."""
    left, right = (
        np.asarray(Image.open(io.BytesIO(photo(p))).convert("RGB")) for p in (SAME, OTHER)
    )
    return jpeg(np.concatenate([left, right], axis=1))


def upload(name: str, data: bytes) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [(name, (f"{name}.jpg", data, "image/jpeg"))]


async def enroll(
    client: httpx.AsyncClient, key: dict[str, str], external_id: str, image: bytes
) -> httpx.Response:
    return await client.post(
        "/v1/enroll",
        data={"modality": "face", "external_id": external_id, "create": "true"},
        files=upload("images", image),
        headers=key,
    )


async def verify(client: httpx.AsyncClient, key: dict[str, str], image: bytes) -> httpx.Response:
    return await client.post(
        "/v1/verify",
        data={"modality": "face", "external_id": "person"},
        files=upload("image", image),
        headers=key,
    )


def settings_for(tmp_path: Path, database_url: str, face: Path, **overrides: object) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=database_url,
        admin_key=ADMIN_KEY,
        device="cpu",
        face_checkpoint=face,
        signature_checkpoint=None,
        **overrides,  # type: ignore[arg-type]
    )


async def test_same_person_matches_and_another_person_does_not(
    tmp_path: Path, database_url: str, face_checkpoint: Path
) -> None:
    async with client_for(settings_for(tmp_path, database_url, face_checkpoint), True) as client:
        key = default_key(tmp_path)
        enrolled = await enroll(client, key, "person", photo(ENROLLED))
        same = await verify(client, key, photo(SAME))
        other = await verify(client, key, photo(OTHER))
        identified = await client.post(
            "/v1/identify",
            data={"modality": "face"},
            files=upload("image", photo(SAME)),
            headers=key,
        )
    assert enrolled.status_code == 201, enrolled.text
    [image] = enrolled.json()["images"]
    face = image["face"]
    assert face["faces_detected"] == 1
    x, y, width, height = (face["box"][k] for k in ("x", "y", "width", "height"))
    # LFW photos are 250x250 with the face in the middle, roughly 100 px tall.
    assert 60 <= width <= 160
    assert 60 <= height <= 180
    assert x < 125 < x + width
    assert y < 125 < y + height
    for px, py in face["landmarks"].values():
        assert x <= px <= x + width
        assert y <= py <= y + height
    assert face["landmarks"]["left_eye"][0] < face["landmarks"]["right_eye"][0]
    assert face["detection_score"] > 0.9

    assert same.status_code == 200, same.text
    assert other.status_code == 200, other.text
    assert same.json()["match"] is True
    assert other.json()["match"] is False
    assert same.json()["far"] == 1e-3
    assert same.json()["score"] > same.json()["threshold"] > other.json()["score"]
    assert same.json()["probe_face"]["faces_detected"] == 1
    assert identified.json()["candidates"][0]["subject"]["external_id"] == "person"
    assert identified.json()["probe_face"]["box"]["width"] > 0


async def test_a_photo_without_a_face_is_rejected_as_no_face_detected(
    tmp_path: Path, face_checkpoint: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    wall = np.random.default_rng(0).normal(170, 12, (240, 320, 3)).clip(0, 255).astype(np.uint8)
    async with client_for(settings_for(tmp_path, database, face_checkpoint), True) as client:
        key = default_key(tmp_path)
        enrolled = await enroll(client, key, "nobody", jpeg(wall))
        pair = await client.post(
            "/v1/verify",
            data={"modality": "face"},
            files=upload("image", jpeg(wall)) + upload("image_b", photo(SAME)),
            headers=key,
        )
    body = assert_problem(enrolled, 422, "no-image-accepted")
    assert body["images"][0]["reason"] == "no-face-detected"
    assert "no face detected" in body["images"][0]["detail"]
    assert_problem(pair, 422, "no-face-detected")


async def test_enrol_rejects_two_people_when_configured_and_takes_the_largest_otherwise(
    tmp_path: Path, face_checkpoint: Path
) -> None:
    database = f"sqlite:///{tmp_path / 'db.sqlite'}"
    strict = settings_for(tmp_path, database, face_checkpoint, face_enroll_multiple="reject")
    async with client_for(strict, True) as client:
        refused = await enroll(client, default_key(tmp_path), "group", two_people())
    body = assert_problem(refused, 422, "no-image-accepted")
    assert body["images"][0]["reason"] == "multiple-faces"
    async with client_for(settings_for(tmp_path, database, face_checkpoint), True) as client:
        accepted = await enroll(client, default_key(tmp_path), "group", two_people())
    assert accepted.status_code == 201, accepted.text
    assert accepted.json()["images"][0]["face"]["faces_detected"] == 2


async def test_first_start_imports_the_face_weights_once(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path, admin_key=ADMIN_KEY, device="cpu")
    imported = tmp_path / "models" / "face-dlib-sface-fusion-v1.safetensors"
    assert settings.face_checkpoint == imported
    async with client_for(settings, True) as client:
        ready = (await client.get("/health/ready")).json()
    assert ready["models"]["face"] == "dlib-sface-fusion:1"
    written = imported.stat().st_mtime_ns
    async with client_for(Settings(data_dir=tmp_path, device="cpu"), True) as client:
        assert (await client.get("/health/ready")).json()["models"]["face"] == "dlib-sface-fusion:1"
    assert imported.stat().st_mtime_ns == written  # found, not imported again
    assert not list((tmp_path / "models").glob("*.import"))
