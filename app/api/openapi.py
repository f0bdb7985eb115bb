"""The OpenAPI document says what the API really answers: errors as problem+json.

Every operation lists the error statuses it can return, each as an RFC 9457 problem
(``application/problem+json``, the ``Problem`` schema) with the problem types behind it
(``app/api/problem_types.py``: a key check brings 401 and 429, the admin key 403, a path id
404, a body 413 and 422, an image upload 415 and 503, ...), in place of FastAPI's default
422 ``HTTPValidationError``, which this service never sends; every JSON answer shows a real
example (``examples.json``).
"""

import json
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app.api.problem_types import problem_types
from app.core.routing import leaf_routes

PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "type": "object",
    "description": "RFC 9457 problem details; `type` is stable, `/problems/<slug>`",
    "required": ["type", "title", "status", "detail", "instance"],
    "properties": {
        "type": {"type": "string", "examples": ["/problems/subject-not-found"]},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "the request path"},
    },
    "additionalProperties": True,
}
_DESCRIPTIONS = {
    401: "no API key, or one that is unknown or revoked",
    403: "the admin key is required",
    404: "nothing with that id here (other galleries' objects included)",
    405: "method not allowed (the Allow header lists those that are)",
    409: "conflict with the current state (taken external id, disabled modality, ...)",
    413: "body, file or image too large",
    415: "image format not accepted",
    422: "invalid request: a field, or an image that cannot be used (its reason is the type)",
    429: "too many failed authentications from this address (see Retry-After)",
    500: "server error (no detail is disclosed)",
    503: "models still loading (see /health/ready)",
}


EXAMPLES_FILE = Path(__file__).with_name("examples.json")


def response_examples() -> dict[str, dict[str, Any]]:
    """``"METHOD /v1/path"`` -> {example name: body}: real answers of the service."""
    data = json.loads(EXAMPLES_FILE.read_text(encoding="utf-8"))
    examples: dict[str, dict[str, Any]] = {
        operation: {"example": body} for operation, body in data["responses"].items()
    }
    for operation, more in data["more_responses"].items():
        examples[operation] = {"signature": examples[operation].pop("example"), **more}
    return examples


def _problem_examples(route: APIRoute, status: int, types: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        slug: {
            "summary": title,
            "value": {
                "type": f"/problems/{slug}",
                "title": title,
                "status": status,
                "detail": "what went wrong, in words",
                "instance": route.path,
            },
        }
        for slug, title in types
    }


def _success_examples(
    route: APIRoute, method: str, operation: dict[str, Any], answers: dict[str, dict[str, Any]]
) -> None:
    """The route's example answers; an unversioned twin shows its ``/v1`` route's."""
    examples = answers.get(f"{method} {route.path}") or answers.get(f"{method} /v1{route.path}")
    if not examples:
        return
    status = str(route.status_code or 200)
    content = operation["responses"].get(status, {}).get("content", {}).get("application/json")
    if content is not None:
        content["examples"] = {
            name: {"summary": f"{name} answer" if name != "example" else "an answer", "value": body}
            for name, body in examples.items()
        }


def _document(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    schema["components"]["schemas"].pop("HTTPValidationError", None)
    schema["components"]["schemas"].pop("ValidationError", None)
    schema_ref = {"$ref": "#/components/schemas/Problem"}
    answers = response_examples()
    for route in leaf_routes(app.routes):
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        problems = problem_types(route)
        for method in route.methods or ():
            operation = schema["paths"][route.path_format][method.lower()]
            responses = operation.setdefault("responses", {})
            _success_examples(route, method, operation, answers)
            for status, types in sorted(problems.items()):
                examples = _problem_examples(route, status, types)
                responses[str(status)] = {
                    "description": _DESCRIPTIONS[status]
                    + ": "
                    + ", ".join(f"`{slug}`" for slug in examples),
                    "content": {
                        "application/problem+json": {"schema": schema_ref, "examples": examples}
                    },
                }
    return schema


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
