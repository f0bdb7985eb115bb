"""What a signature upload must be: content checks through the API with the shipped model.

A 16-bit scan is the same signature as its 8-bit twin; pixels under a transparent alpha are
not ink; a photograph of a face is not a signature; a huge page is reduced to the
modality's working size before any work is done on it.
"""

import io
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from models.bundled import SIGNATURE_CHECKPOINT
from tests.app.client import client_for
from tests.app.service import assert_problem, default_key, files, service_settings
from tests.helpers import dataset_path

CEDAR = dataset_path("cedar")
FACE_PHOTOS = [
    dataset_path("lfw") / "images" / "AJ_Cook" / "AJ_Cook_0001.jpg",
    dataset_path("orl") / "s1" / "1.png",
]

pytestmark = [
    pytest.mark.anyio,
    pytest.mark.dataset,
    pytest.mark.skipif(not CEDAR.is_dir(), reason="../shared/datasets/cedar is not present"),
]


def scan(number: int, writer: str = "1") -> Image.Image:
    return Image.open(CEDAR / writer / f"original_{writer}_{number}.png").convert("L")


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


async def test_uploads_that_are_not_plain_signature_scans(
    tmp_path: Path, database_url: str
) -> None:
    settings = service_settings(tmp_path, database_url, SIGNATURE_CHECKPOINT)
    async with client_for(settings, ready=True) as client:
        key = default_key(tmp_path)
        enrolled = await client.post(
            "/v1/enroll",
            data={"modality": "signature", "external_id": "w1", "create": "true"},
            files=files("images", *(png(scan(n)) for n in range(1, 6))),
            headers=key,
        )
        assert enrolled.status_code == 201, enrolled.text

        async def verify(image: bytes) -> dict[str, object]:
            response = await client.post(
                "/v1/verify",
                data={"modality": "signature", "external_id": "w1"},
                files=files("image", image),
                headers=key,
            )
            result: dict[str, object] = response.json()
            result["status"] = response.status_code
            return result

        eight = await verify(png(scan(6)))
        sixteen = await verify(png(Image.fromarray(np.asarray(scan(6), np.uint16) * 257)))
        assert eight["status"] == sixteen["status"] == 200
        assert sixteen["score"] == pytest.approx(eight["score"], abs=1e-6)

        hidden = scan(6).convert("RGBA")
        hidden.putalpha(0)
        response = await client.post(
            "/v1/verify",
            data={"modality": "signature", "external_id": "w1"},
            files=files("image", png(hidden)),
            headers=key,
        )
        assert_problem(response, 422, "no-signature-found")

        # the same scan at 12 times its resolution: reduced on decode, the same signature
        original = scan(6)
        page = original.resize((original.width * 12, original.height * 12), Image.BILINEAR)
        assert max(page.size) > 3000
        large = await verify(png(page))
        assert large["status"] == 200
        assert abs(float(large["score"]) - float(eight["score"])) < 0.1  # type: ignore[arg-type]

        for photo in FACE_PHOTOS:
            if not photo.is_file():
                continue
            for endpoint, field in (("/v1/verify", "image"), ("/v1/enroll", "images")):
                response = await client.post(
                    endpoint,
                    data={"modality": "signature", "external_id": "w1"},
                    files=files(field, photo.read_bytes()),
                    headers=key,
                )
                slug = "not-a-signature" if field == "image" else "no-image-accepted"
                body = assert_problem(response, 422, slug)
                if field == "images":
                    assert body["images"][0]["reason"] == "not-a-signature"
