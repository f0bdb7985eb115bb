"""Helpers for tests that run the service with a real signature model."""

import io
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from app.core.config import Settings
from tests.app.signature_images import png

ADMIN_KEY = "a" * 32
ADMIN = {"X-API-Key": ADMIN_KEY}
PROBLEM_JSON = "application/problem+json"


def service_settings(
    data_dir: Path, database_url: str, signature_checkpoint: Path, **overrides: Any
) -> Settings:
    return Settings(
        data_dir=data_dir,
        database_url=database_url,
        admin_key=ADMIN_KEY,
        device="cpu",
        signature_checkpoint=signature_checkpoint,
        **{"face_checkpoint": None, **overrides},
    )


async def new_gallery(
    client: httpx.AsyncClient, name: str, key_name: str = "k"
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A gallery made with the admin key and a key issued for it, as the API returned them
    (the key's ``key`` is its secret)."""
    made = await client.post("/v1/admin/galleries", json={"name": name}, headers=ADMIN)
    assert made.status_code == 201, made.text
    gallery: dict[str, Any] = made.json()
    issued = await client.post(
        f"/v1/admin/galleries/{gallery['id']}/keys", json={"name": key_name}, headers=ADMIN
    )
    assert issued.status_code == 201, issued.text
    key: dict[str, Any] = issued.json()
    return gallery, key


def default_key(data_dir: Path) -> dict[str, str]:
    return {"X-API-Key": (data_dir / "default-api-key").read_text().strip()}


def files(name: str, *images: bytes) -> list[tuple[str, tuple[str, bytes, str]]]:
    return [(name, (f"{name}-{i}.png", data, "image/png")) for i, data in enumerate(images)]


async def enroll(
    client: httpx.AsyncClient,
    key: dict[str, str],
    indices: list[int],
    external_id: str,
    create: bool = True,
) -> httpx.Response:
    return await client.post(
        "/v1/enroll",
        data={"modality": "signature", "external_id": external_id, "create": str(create).lower()},
        files=files("images", *(png(i) for i in indices)),
        headers=key,
    )


async def identify(
    client: httpx.AsyncClient, key: dict[str, str], image: bytes, **fields: Any
) -> httpx.Response:
    data = {"modality": "signature", **{k: str(v) for k, v in fields.items()}}
    return await client.post("/v1/identify", data=data, files=files("image", image), headers=key)


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM_JSON)
    body: dict[str, Any] = response.json()
    assert body["type"] == f"/problems/{slug}", body
    assert body["status"] == status
    assert "Traceback" not in response.text
    return body


def blank_page() -> bytes:
    buffer = io.BytesIO()
    Image.new("L", (120, 80), 255).save(buffer, format="PNG")
    return buffer.getvalue()


def encoded(image: Image.Image, fmt: str, **options: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()
