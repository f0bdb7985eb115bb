"""The OpenAPI document describes the API that answers: its keys and its problems."""

from pathlib import Path
from typing import Any

import pytest

from app.core.config import Settings
from tests.app.client import client_for

pytestmark = pytest.mark.anyio

PROBLEM = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}


async def document(tmp_path: Path) -> dict[str, Any]:
    settings = Settings(data_dir=tmp_path, admin_key="a" * 32, device="cpu", face_checkpoint=None)
    async with client_for(settings) as client:
        response = await client.get("/openapi.json")
    assert response.status_code == 200
    body: dict[str, Any] = response.json()
    return body


async def test_every_operation_declares_its_key_and_its_problems(tmp_path: Path) -> None:
    spec = await document(tmp_path)
    schemes = spec["components"]["securitySchemes"]
    assert {name: (s["type"], s["in"], s["name"]) for name, s in schemes.items()} == {
        "GalleryKey": ("apiKey", "header", "X-API-Key"),
        "AdminKey": ("apiKey", "header", "X-API-Key"),
    }
    assert "HTTPValidationError" not in str(spec)
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            responses = operation["responses"]
            errors = {code: r for code, r in responses.items() if int(code) >= 400}
            assert "500" in errors, (method, path)
            assert all(r["content"] == PROBLEM for r in errors.values()), (method, path)
            if path.startswith("/health"):
                assert "security" not in operation
                continue
            expected = "AdminKey" if path.startswith("/v1/admin") else "GalleryKey"
            assert operation["security"] == [{expected: []}], (method, path)
            assert {"401", "429"} <= set(errors), (method, path)
            if "{" in path:
                assert "404" in errors
    verify = spec["paths"]["/v1/verify"]["post"]["responses"]
    assert {"401", "404", "409", "413", "415", "422", "429", "503"} <= set(verify)
    assert "403" in spec["paths"]["/v1/admin/galleries"]["post"]["responses"]
    assert "503" in spec["paths"]["/health/ready"]["get"]["responses"]
