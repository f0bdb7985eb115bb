"""The application factory: ``uvicorn app.main:create_app --factory``."""

import asyncio
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api import authentication_first, openapi
from app.api.middleware import BodySizeLimit, NoStore, RequestMetrics
from app.api.routes import (
    admin,
    audit,
    demo,
    enroll,
    front_door,
    health,
    identify,
    metrics,
    models,
    preview,
    references,
    subjects,
    verify,
    whoami,
)
from app.core.auth_throttle import AuthThrottle
from app.core.config import Settings, get_settings
from app.core.errors import install_error_handlers
from app.core.metrics import ServiceMetrics
from app.db import migrate
from app.db.engine import make_engine, session_factory
from app.search.gallery_index import SearchIndex
from app.services.galleries import bootstrap_default_gallery
from app.services.runtime import open_runtime

logger = logging.getLogger(__name__)


async def _start(app: FastAPI, settings: Settings, executor: ThreadPoolExecutor) -> None:
    """Load in the pool so the server answers /health/live meanwhile."""
    state = app.state
    try:
        runtime = await asyncio.get_running_loop().run_in_executor(
            executor, open_runtime, settings, state.sessions, state.index, executor, state.metrics
        )
    except Exception as exc:  # readiness reports it; the process stays up to say so
        logger.exception("start-up failed")
        state.startup_error = str(exc)
        return
    state.runtime = runtime


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    settings: Settings = app.state.settings
    database_url = settings.resolved_database_url
    engine = make_engine(database_url)  # first: it creates the SQLite file's folder
    await asyncio.to_thread(migrate.upgrade, database_url)
    app.state.sessions = session_factory(engine)
    default_key = await asyncio.to_thread(
        bootstrap_default_gallery, app.state.sessions, settings.data_dir
    )
    if default_key is not None:
        # Printed once, on the first start; also kept in the data directory (mode 0600).
        print(f"twinverify: created gallery 'default' with API key {default_key}", flush=True)
    app.state.runtime = None
    app.state.startup_error = None
    app.state.index = SearchIndex()
    app.state.metrics.watch_gallery_sizes(lambda: _gallery_sizes(app.state.index))
    executor = ThreadPoolExecutor(settings.inference_threads, thread_name_prefix="inference")
    starting = asyncio.create_task(_start(app, settings, executor))
    try:
        yield
    finally:
        starting.cancel()
        executor.shutdown(wait=False, cancel_futures=True)
        if app.state.runtime is not None:
            app.state.runtime.close()
        engine.dispose()


def _gallery_sizes(index: SearchIndex) -> dict[tuple[str, str, str], int]:
    return {
        (str(gallery), key.modality, str(key)): size
        for (gallery, key), size in index.sizes().items()
    }


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or get_settings()
    app = FastAPI(title="twinverify", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings
    app.state.metrics = ServiceMetrics()
    app.state.auth_throttle = AuthThrottle(
        settings.auth_failure_limit, settings.auth_failure_window_seconds
    )
    install_error_handlers(app)
    authentication_first.install(app)
    for module in (
        health,
        admin,
        audit,
        whoami,
        subjects,
        references,
        enroll,
        verify,
        identify,
        preview,
        models,
        metrics,
        demo,
    ):
        app.include_router(module.router)
    app.include_router(front_door.front_door_router())
    openapi.install(app)
    # Outermost last: metrics see every response, including the size limit's 413.
    app.add_middleware(NoStore)
    app.add_middleware(
        BodySizeLimit,
        max_bytes=settings.max_request_bytes,
        max_json_bytes=settings.max_json_bytes,
    )
    app.add_middleware(RequestMetrics, metrics=app.state.metrics)
    return app
