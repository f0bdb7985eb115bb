"""Start-up, readiness and error responses of the application, over HTTP."""

import asyncio
from pathlib import Path

import httpx
import pytest

from app.core.config import Settings
from app.main import create_app
from models.networks import EncoderSpec
from models.preprocessing import PreprocessSpec
from models.twin import ComparisonSpec
from tests.app.client import client_for
from tests.helpers import save_untrained_checkpoint

pytestmark = pytest.mark.anyio


async def wait_ready(client: httpx.AsyncClient) -> httpx.Response:
    for _ in range(200):
        response = await client.get("/health/ready")
        if response.status_code != 503 or "still loading" not in response.text:
            return response
        await asyncio.sleep(0.05)
    raise AssertionError("never became ready")


def signature_checkpoint(path: Path) -> Path:
    save_untrained_checkpoint(
        path,
        EncoderSpec(name="tiny_cnn", embedding_size=32, in_channels=1, width=4),
        ComparisonSpec(name="cosine"),
        PreprocessSpec(name="signature", height=32, width=48),
        name="sig-unit",
    )
    return path


async def test_ready_lists_loaded_and_disabled_models(tmp_path: Path, database_url: str) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        device="cpu",
        signature_checkpoint=signature_checkpoint(tmp_path / "sig.safetensors"),
        face_checkpoint=None,
    )
    async with client_for(settings) as client:
        assert (await client.get("/health/live")).json() == {"status": "live"}
        response = await wait_ready(client)
    assert response.status_code == 200
    assert response.json() == {
        "status": "ready",
        "models": {"signature": "sig-unit:0"},
        "disabled": {"face": "no checkpoint configured"},
    }


async def test_a_broken_checkpoint_keeps_ready_failing_with_a_problem(tmp_path: Path) -> None:
    broken = tmp_path / "broken.safetensors"
    broken.write_bytes(b"not a checkpoint")
    settings = Settings(data_dir=tmp_path, device="cpu", face_checkpoint=broken)
    async with client_for(settings) as client:
        response = await wait_ready(client)
        assert (await client.get("/health/live")).status_code == 200
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/not-ready"
    assert "not a readable safetensors checkpoint" in body["detail"]
    assert "Traceback" not in response.text


async def test_unknown_paths_are_problem_json(tmp_path: Path) -> None:
    fresh = tmp_path / "not" / "yet" / "there"
    async with client_for(Settings(data_dir=fresh, device="cpu", face_checkpoint=None)) as client:
        response = await client.get("/v1/nothing-here")
    assert (fresh / "twinverify.db").is_file()  # the embedded default creates its folder
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/not-found"


async def test_an_unexpected_failure_is_a_bare_500_problem(tmp_path: Path) -> None:
    app = create_app(Settings(data_dir=tmp_path, device="cpu", face_checkpoint=None))

    def explode() -> None:
        raise RuntimeError("secret internals at /srv/db")

    app.add_api_route("/boom", explode)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://twinverify") as client:
            response = await client.get("/boom")
    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/internal-error"
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
