"""Domain errors and their one mapping to RFC 9457 ``application/problem+json`` responses.

Every error a client can see has a stable ``type`` (``/problems/<slug>``); nothing else
(no traceback, no exception text from a library) ever reaches the client.
"""

import logging
import traceback
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from app.core.routing import leaf_routes

logger = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"


class ServiceError(Exception):
    """Base of the errors the service raises on purpose; subclasses set status and slug."""

    status: int = 400
    slug: str = "bad-request"
    title: str = "Bad request"

    def __init__(
        self,
        detail: str,
        extensions: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.detail = detail
        # RFC 9457 extension members, e.g. the per-image outcome of a rejected enroll.
        self.extensions = extensions or {}
        self.headers = headers


class NotReadyError(ServiceError):
    status = 503
    slug = "not-ready"
    title = "Service not ready"


class MissingApiKeyError(ServiceError):
    status = 401
    slug = "missing-api-key"
    title = "API key required"


class InvalidApiKeyError(ServiceError):
    status = 401
    slug = "invalid-api-key"
    title = "API key not accepted"


class TooManyAuthFailuresError(ServiceError):
    status = 429
    slug = "too-many-auth-failures"
    title = "Too many failed authentications"


class AdminRequiredError(ServiceError):
    status = 403
    slug = "admin-required"
    title = "Admin key required"


class NotFoundError(ServiceError):
    status = 404
    slug = "not-found"
    title = "Not Found"


class GalleryNotFoundError(ServiceError):
    status = 404
    slug = "gallery-not-found"
    title = "Unknown gallery"


class GalleryExistsError(ServiceError):
    status = 409
    slug = "gallery-exists"
    title = "Gallery name taken"


class KeyNotFoundError(ServiceError):
    status = 404
    slug = "key-not-found"
    title = "Unknown API key"


class SubjectNotFoundError(ServiceError):
    # Also for subjects of other galleries: a key must not learn what exists elsewhere.
    status = 404
    slug = "subject-not-found"
    title = "Unknown subject"


class ExternalIdExistsError(ServiceError):
    status = 409
    slug = "external-id-exists"
    title = "External id taken"


class InvalidRequestError(ServiceError):
    """A request whose fields are individually valid but do not fit together."""

    status = 422
    slug = "validation-error"
    title = "Invalid request"


class ReferenceNotFoundError(ServiceError):
    status = 404
    slug = "reference-not-found"
    title = "Unknown reference"


class ModalityNotEnabledError(ServiceError):
    status = 409
    slug = "modality-not-enabled"
    title = "Modality not enabled"


class UnknownOperatingPointError(ServiceError):
    status = 422
    slug = "unknown-operating-point"
    title = "Unknown operating point"


class ThresholdOutOfRangeError(ServiceError):
    status = 422
    slug = "threshold-out-of-range"
    title = "Threshold outside the calibrated range"


class NoReferencesError(ServiceError):
    status = 409
    slug = "no-references"
    title = "Subject has no usable references"


class RequestTooLargeError(ServiceError):
    status = 413
    slug = "upload-too-large"
    title = "Upload too large"


class NoImageAcceptedError(ServiceError):
    status = 422
    slug = "no-image-accepted"
    title = "No image accepted"


class ImageRejectedError(ServiceError):
    """A probe image that cannot be used; ``slug`` is the reason (the same reasons an enroll
    reports per image), so clients handle both the same way."""

    status = 422
    title = "Image rejected"

    def __init__(self, reason: str, detail: str, status: int = 422) -> None:
        super().__init__(detail)
        self.slug = reason
        self.status = status


def problem(
    status: int,
    slug: str,
    title: str,
    detail: str,
    request: Request,
    extensions: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body: dict[str, Any] = {
        **(extensions or {}),
        "type": f"/problems/{slug}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


async def service_error_response(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, ServiceError)
    return problem(
        exc.status, exc.slug, exc.title, exc.detail, request, exc.extensions, exc.headers
    )


async def _http_error(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    phrase = HTTPStatus(exc.status_code).phrase
    slug = phrase.lower().replace(" ", "-").replace("'", "")
    # Starlette's own headers carry protocol facts: keep them. Its 405 names the methods of
    # the first route on the path only; Allow must list every route's.
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = ", ".join(_allowed_methods(request))
    return problem(exc.status_code, slug, phrase, str(exc.detail), request, headers=headers)


def _allowed_methods(request: Request) -> list[str]:
    allowed: set[str] = set()
    for route in leaf_routes(request.app.router.routes):
        methods = getattr(route, "methods", None)
        if methods and route.matches(request.scope)[0] != Match.NONE:
            allowed |= methods
    return sorted(allowed)


async def validation_error_response(request: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    problems = "; ".join(
        f"{'.'.join(str(part) for part in error['loc'])}: {error['msg']}" for error in exc.errors()
    )
    return problem(422, "validation-error", "Invalid request", problems, request)


async def unexpected_error_response(request: Request, exc: Exception) -> JSONResponse:
    if isinstance(exc, DBAPIError):
        # The driver's message can quote row values (PostgreSQL's "Key (...)=(...) already
        # exists"): personal data. Log the statement, the error class and SQLSTATE, and
        # where it was raised; never the message. (Bound parameters are hidden already.)
        logger.error(
            "unhandled database error on %s %s: %s (SQLSTATE %s) in %s\n%s",
            request.method,
            request.url.path,
            type(exc.orig).__name__,
            getattr(exc.orig, "sqlstate", None) or "unknown",
            exc.statement,
            "".join(traceback.format_tb(exc.__traceback__)),
        )
    else:
        logger.exception("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(
        500, "internal-error", "Internal error", "the server failed; see its log", request
    )


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(ServiceError, service_error_response)
    app.add_exception_handler(StarletteHTTPException, _http_error)
    app.add_exception_handler(RequestValidationError, validation_error_response)
    app.add_exception_handler(Exception, unexpected_error_response)
