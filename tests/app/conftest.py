"""Databases for the service's tests: a fresh SQLite file and a fresh PostgreSQL database.

PostgreSQL is the server on 127.0.0.1:5432 (or ``TWINVERIFY_TEST_POSTGRES_URL``). Each test
gets its own throw-away database. Where the server is unreachable the PostgreSQL cases skip
with the reason, except in CI (``CI`` set), where they fail: CI must exercise PostgreSQL.
"""

import os
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError

from tests.app.client import client_for
from tests.app.service import service_settings

ADMIN_URL = os.environ.get(
    "TWINVERIFY_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)


def _postgres_database() -> Iterator[str]:
    admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
    name = f"twinverify_test_{uuid.uuid4().hex[:12]}"
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
    except OperationalError as exc:
        admin.dispose()
        reason = f"PostgreSQL unreachable at {make_url(ADMIN_URL).render_as_string()}: {exc.orig}"
        if os.environ.get("CI"):
            pytest.fail(f"{reason} (CI must run the PostgreSQL tests)")
        pytest.skip(reason)
    try:
        yield make_url(ADMIN_URL).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty database of each backend, as a SQLAlchemy URL."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'twinverify.db'}"
    else:
        yield from _postgres_database()


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


@pytest.fixture(scope="session")
def signature_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A real signature checkpoint, trained by ``models/`` once per test session."""
    from tests.app.signature_images import train_signature_model

    return train_signature_model(tmp_path_factory.mktemp("signature-model"))


@pytest.fixture
async def client(
    tmp_path: Path, database_url: str, signature_checkpoint: Path
) -> AsyncIterator[httpx.AsyncClient]:
    """The service on its defaults (data under ``tmp_path``, each database, the session's
    signature model, no face model), ready: models and search matrices loaded."""
    settings = service_settings(tmp_path, database_url, signature_checkpoint)
    async with client_for(settings, ready=True) as ready_client:
        yield ready_client
