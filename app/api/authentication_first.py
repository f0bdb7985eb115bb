"""A stranger learns nothing about a route's body rules: authentication answers first.

FastAPI reads and parses a request's body before it runs the route's dependencies, so a
malformed body from a caller without a valid key was a 422 that described the body,
where it must be the 401 (or 403) any other request without a valid key gets. On a
validation error this handler runs the route's key check first and answers with its
problem if it fails; only an authenticated caller sees the validation problem.
"""

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from app.api.deps import current_key, require_admin
from app.core.errors import ServiceError, service_error_response, validation_error_response
from app.core.routing import dependency_calls

_KEY_HEADER = "x-api-key"


def _check(call: Callable[..., Any], request: Request) -> None:
    key = request.headers.get(_KEY_HEADER)
    if call is require_admin:
        require_admin(request, request.app.state.settings, key)
    else:
        current_key(request, key)


async def _authenticate_then_validate(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    calls = dependency_calls(getattr(request.scope.get("route"), "dependant", None))
    for call in (require_admin, current_key):
        if call not in calls:
            continue
        try:
            await run_in_threadpool(_check, call, request)
        except ServiceError as error:
            return await service_error_response(request, error)
    return await validation_error_response(request, exc)


def install(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _authenticate_then_validate)
