"""The OpenAPI document describes the API that answers: its keys and its problems."""

from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from pydantic import TypeAdapter

from app.core.config import Settings
from app.core.routing import leaf_routes
from app.main import create_app
from tests.app.client import client_for

pytestmark = pytest.mark.anyio

PROBLEM_SCHEMA = {"$ref": "#/components/schemas/Problem"}


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
            for response in errors.values():
                assert list(response["content"]) == ["application/problem+json"], (method, path)
                media = response["content"]["application/problem+json"]
                assert media["schema"] == PROBLEM_SCHEMA, (method, path)
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


async def test_every_operation_has_a_summary_and_examples_of_what_it_answers(
    tmp_path: Path,
) -> None:
    spec = await document(tmp_path)
    app = create_app(Settings(data_dir=tmp_path, device="cpu", face_checkpoint=None))
    models = {
        (method, route.path): route.response_model
        for route in leaf_routes(app.routes)
        if isinstance(route, APIRoute) and route.include_in_schema
        for method in route.methods or ()
    }
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            assert operation.get("summary"), (method, path)
            success = {c: r for c, r in operation["responses"].items() if c.startswith("2")}
            for response in success.values():
                if "application/json" not in response.get("content", {}):
                    continue  # 204: no body
                examples = response["content"]["application/json"].get("examples")
                assert examples, f"{method} {path} shows no example answer"
                adapter = TypeAdapter(models[method.upper(), path])
                for example in examples.values():
                    adapter.validate_python(example["value"])  # the example is a real answer
            for code, response in operation["responses"].items():
                if code.startswith(("4", "5")) and code not in {"405"}:
                    examples = response["content"]["application/problem+json"].get("examples")
                    assert examples, f"{method} {path} {code}: no problem type named"
                    for slug, example in examples.items():
                        assert example["value"]["type"] == f"/problems/{slug}"
                        assert example["value"]["status"] == int(code)


async def test_the_problem_types_documented_are_those_the_routes_answer(tmp_path: Path) -> None:
    spec = await document(tmp_path)

    def types(path: str, code: str, method: str = "post") -> set[str]:
        media = spec["paths"][path][method]["responses"][code]["content"]
        return set(media["application/problem+json"]["examples"])

    assert {"missing-api-key", "invalid-api-key"} == types("/v1/verify", "401")
    assert "subject-not-found" in types("/v1/verify", "404")
    assert {"no-references", "modality-not-enabled"} <= types("/v1/verify", "409")
    image_reasons = {"no-signature-found", "no-face-detected", "image-unreadable", "too-small"}
    assert image_reasons <= types("/v1/verify", "422")
    assert image_reasons <= types("/v1/identify", "422")
    assert "no-image-accepted" in types("/v1/enroll", "422")
    assert "unsupported-image-format" in types("/v1/preview", "415")
    assert "admin-required" in types("/v1/admin/galleries", "403")
    assert "gallery-exists" in types("/v1/admin/galleries", "409")
    assert "reference-not-found" in types(
        "/v1/subjects/{subject_id}/references/{reference_id}", "404", "delete"
    )
    assert types("/health/ready", "503", "get") == {"not-ready"}
