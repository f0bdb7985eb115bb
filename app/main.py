"""The application factory: ``uvicorn app.main:create_app --factory``."""

import asyncio
import logging
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.api.routes import admin, health, subjects, whoami
from app.core.config import Settings, get_settings
from app.core.errors import install_error_handlers
from app.db import migrate
from app.db.engine import make_engine, session_factory
from app.inference.registry import load_registry
from app.services.galleries import bootstrap_default_gallery
from models.training.loop_parts import select_device

logger = logging.getLogger(__name__)


async def _load_models(app: FastAPI, settings: Settings, executor: ThreadPoolExecutor) -> None:
    """Load checkpoints in the pool so the server answers /health/live meanwhile."""
    checkpoints = {"face": settings.face_checkpoint, "signature": settings.signature_checkpoint}
    try:
        app.state.registry = await asyncio.get_running_loop().run_in_executor(
            executor, load_registry, checkpoints, select_device(settings.device)
        )
    except Exception as exc:  # readiness reports it; the process stays up to say so
        logger.exception("loading models failed")
        app.state.startup_error = str(exc)


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
    app.state.registry = None
    app.state.startup_error = None
    executor = ThreadPoolExecutor(settings.inference_threads, thread_name_prefix="inference")
    app.state.executor = executor
    loading = asyncio.create_task(_load_models(app, settings, executor))
    try:
        yield
    finally:
        loading.cancel()
        executor.shutdown(wait=False, cancel_futures=True)
        engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    app = FastAPI(title="twinverify", version="0.1.0", lifespan=lifespan)
    app.state.settings = settings or get_settings()
    install_error_handlers(app)
    app.include_router(health.router)
    app.include_router(admin.router)
    app.include_router(whoami.router)
    app.include_router(subjects.router)
    return app
