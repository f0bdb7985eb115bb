"""Request dependencies as ``Annotated`` aliases, so handlers read like sentences."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session

from app.core.auth_throttle import AuthThrottle
from app.core.config import Settings
from app.core.errors import (
    AdminRequiredError,
    InvalidApiKeyError,
    MissingApiKeyError,
    NotReadyError,
    ServiceError,
    TooManyAuthFailuresError,
)
from app.core.security import same_secret
from app.db.engine import transaction
from app.db.models import ApiKey
from app.services.audit import record_failed_authentication
from app.services.galleries import authenticate
from app.services.runtime import Runtime


async def get_settings_from_app(request: Request) -> Settings:
    # async: a dependency that only reads app state must not cost a trip to the thread pool
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error."""
    with transaction(request.app.state.sessions) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings_from_app)]
SessionDep = Annotated[Session, Depends(get_session)]
# Security schemes, so OpenAPI (and /docs) declare how each route authenticates; both read
# the X-API-Key header, and a missing key is answered by the dependencies below (as a
# problem), not by the scheme.
GALLERY_KEY = APIKeyHeader(
    name="X-API-Key",
    scheme_name="GalleryKey",
    description="a gallery's API key (tv_...)",
    auto_error=False,
)
ADMIN_KEY = APIKeyHeader(
    name="X-API-Key",
    scheme_name="AdminKey",
    description="the admin key (TWINVERIFY_ADMIN_KEY)",
    auto_error=False,
)
ApiKeyHeader = Annotated[str | None, Security(GALLERY_KEY)]
AdminKeyHeader = Annotated[str | None, Security(ADMIN_KEY)]


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def _refuse_while_throttled(request: Request) -> None:
    throttle: AuthThrottle = request.app.state.auth_throttle
    retry_after = throttle.retry_after(client_address(request))
    if retry_after is not None:
        raise TooManyAuthFailuresError(
            f"too many failed authentications from this address; retry in {retry_after} s",
            headers={"Retry-After": str(retry_after)},
        )


def _failed(request: Request, error: ServiceError) -> ServiceError:
    """A wrong key (not a missing one: that guesses nothing) counts against the address and
    is audited; once the address is braked, refusals are neither (at most ``limit`` rows
    per address and window)."""
    address = client_address(request)
    request.app.state.auth_throttle.record_failure(address)
    record_failed_authentication(
        request.app.state.sessions, error.slug, address, request.method, request.url.path
    )
    return error


def require_admin(
    request: Request, settings: SettingsDep, x_api_key: AdminKeyHeader = None
) -> None:
    _refuse_while_throttled(request)
    if not x_api_key:
        raise MissingApiKeyError("send the admin key in the X-API-Key header")
    admin = settings.admin_key.get_secret_value() if settings.admin_key else ""
    if not admin or not same_secret(x_api_key, admin):
        raise _failed(
            request,
            AdminRequiredError("this endpoint needs the admin key (TWINVERIFY_ADMIN_KEY)"),
        )


def current_key(request: Request, x_api_key: ApiKeyHeader = None) -> ApiKey:
    """The caller's key, looked up in a transaction of its own: a request that runs a
    model does not hold a database connection while it does."""
    _refuse_while_throttled(request)
    if not x_api_key:
        raise MissingApiKeyError("send your gallery's API key in the X-API-Key header")
    try:
        with transaction(request.app.state.sessions) as session:
            return authenticate(session, x_api_key)
    except InvalidApiKeyError as exc:
        raise _failed(request, exc) from None


async def get_runtime(request: Request) -> Runtime:
    runtime: Runtime | None = request.app.state.runtime
    if runtime is None:
        raise NotReadyError("models are still loading; retry when /health/ready says ready")
    return runtime


AdminDep = Annotated[None, Depends(require_admin)]
CurrentKeyDep = Annotated[ApiKey, Depends(current_key)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
