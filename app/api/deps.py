"""Request dependencies as ``Annotated`` aliases, so handlers read like sentences."""

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, Header, Request
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.core.errors import AdminRequiredError, MissingApiKeyError, NotReadyError
from app.core.security import same_secret
from app.db.engine import transaction
from app.db.models import ApiKey
from app.services.galleries import authenticate
from app.services.runtime import Runtime


def get_settings_from_app(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One transaction per request: committed when the handler returns, rolled back on error."""
    with transaction(request.app.state.sessions) as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings_from_app)]
SessionDep = Annotated[Session, Depends(get_session)]
ApiKeyHeader = Annotated[str | None, Header(alias="X-API-Key", description="gallery or admin key")]


def require_admin(settings: SettingsDep, x_api_key: ApiKeyHeader = None) -> None:
    if not x_api_key:
        raise MissingApiKeyError("send the admin key in the X-API-Key header")
    admin = settings.admin_key.get_secret_value() if settings.admin_key else ""
    if not admin or not same_secret(x_api_key, admin):
        raise AdminRequiredError("this endpoint needs the admin key (TWINVERIFY_ADMIN_KEY)")


def current_key(request: Request, x_api_key: ApiKeyHeader = None) -> ApiKey:
    """The caller's key, looked up in a transaction of its own: a request that runs a
    model does not hold a database connection while it does."""
    if not x_api_key:
        raise MissingApiKeyError("send your gallery's API key in the X-API-Key header")
    with transaction(request.app.state.sessions) as session:
        return authenticate(session, x_api_key)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime | None = request.app.state.runtime
    if runtime is None:
        raise NotReadyError("models are still loading; retry when /health/ready says ready")
    return runtime


AdminDep = Annotated[None, Depends(require_admin)]
CurrentKeyDep = Annotated[ApiKey, Depends(current_key)]
RuntimeDep = Annotated[Runtime, Depends(get_runtime)]
