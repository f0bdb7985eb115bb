"""POST /v1/preview: the model's input as a picture, the same refusals, nothing stored."""

import base64
import io
from pathlib import Path

import httpx
import numpy as np
import pytest
import torch
from PIL import Image

from models.checkpoint import load_checkpoint
from models.serving import InputLimits, load_served_model
from tests.app.service import assert_problem, blank_page, default_key, files
from tests.app.signature_images import png

pytestmark = pytest.mark.anyio


async def test_preview_shows_the_models_input_and_stores_nothing(
    tmp_path: Path, signature_checkpoint: Path, client: httpx.AsyncClient
) -> None:
    key = default_key(tmp_path)
    response = await client.post(
        "/v1/preview", data={"modality": "signature"}, files=files("image", png(3)), headers=key
    )
    assert response.status_code == 200, response.text
    body = response.json()
    spec = load_checkpoint(signature_checkpoint).metadata.preprocessing
    assert (body["width"], body["height"]) == (spec.width, spec.height)
    assert body["face"] is None
    prefix = "data:image/png;base64,"
    assert body["model_input"].startswith(prefix)
    picture = np.asarray(
        Image.open(io.BytesIO(base64.b64decode(body["model_input"][len(prefix) :])))
    )
    # exactly the tensor the model embeds for this upload
    model = load_served_model(signature_checkpoint, torch.device("cpu"))
    prepared = model.prepare(png(3), InputLimits(10_000_000, 50_000_000, 16))
    assert picture.shape == (spec.height, spec.width)
    assert np.array_equal(picture, prepared.tensor[0].numpy())
    assert body["sha256"] == prepared.sha256

    refused = await client.post(
        "/v1/preview",
        data={"modality": "signature"},
        files=files("image", blank_page()),
        headers=key,
    )
    assert_problem(refused, 422, "no-signature-found")
    subjects = await client.get("/v1/subjects", headers=key)
    assert subjects.json()["total"] == 0
    assert_problem(
        await client.post(
            "/v1/preview", data={"modality": "signature"}, files=files("image", png(3))
        ),
        401,
        "missing-api-key",
    )
