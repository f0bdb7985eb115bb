"""The OpenAPI document says what the API really answers: errors as problem+json.

Every operation lists the error statuses it can return, each as an RFC 9457 problem
(``application/problem+json``, the ``Problem`` schema), in place of FastAPI's default 422
``HTTPValidationError``, which this service never sends. Which statuses apply follows from
the route: a key check brings 401 and 429, the admin key 403, a path id 404, a body 413
and 422, an image upload 415 and 503 (models still loading).
"""

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute

from app.api.deps import current_key, get_runtime, require_admin
from app.core.routing import dependency_calls, leaf_routes

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


def _statuses(route: APIRoute) -> set[int]:
    calls = dependency_calls(route.dependant)
    statuses = {500}
    if current_key in calls or require_admin in calls:
        statuses |= {401, 429}
    if require_admin in calls:
        statuses.add(403)
    if "{" in route.path:
        statuses.add(404)
    if route.dependant.body_params or route.dependant.query_params or route.dependant.path_params:
        statuses |= {413, 422} if route.dependant.body_params else {422}
    if get_runtime in calls or route.path == "/health/ready":
        statuses.add(503)
    if get_runtime in calls and route.dependant.body_params:
        statuses |= {404, 409, 415}
    if (route.methods or set()) & {"POST", "PATCH"} and route.path.startswith("/v1/subjects"):
        statuses.add(409)
    return statuses


def _document(app: FastAPI) -> dict[str, Any]:
    schema = get_openapi(
        title=app.title, version=app.version, description=app.description, routes=app.routes
    )
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    schema["components"]["schemas"].pop("HTTPValidationError", None)
    schema["components"]["schemas"].pop("ValidationError", None)
    problem = {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}
    for route in leaf_routes(app.routes):
        if not isinstance(route, APIRoute) or not route.include_in_schema:
            continue
        for method in route.methods or ():
            operation = schema["paths"][route.path_format][method.lower()]
            responses = operation.setdefault("responses", {})
            for status in sorted(_statuses(route)):
                responses[str(status)] = {"description": _DESCRIPTIONS[status], "content": problem}
    return schema


def install(app: FastAPI) -> None:
    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = _document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
