"""Liveness and readiness probes (no API key: orchestrators call them)."""

from typing import Any

from fastapi import APIRouter, Request

from app.core.errors import NotReadyError

router = APIRouter(prefix="/health", tags=["health"])


@router.get("/live", summary="Liveness: the process answers")
async def live() -> dict[str, str]:
    """The process answers; says nothing about models or the database."""
    return {"status": "live"}


@router.get("/ready", summary="Readiness: models and search matrices loaded")
async def ready(request: Request) -> dict[str, Any]:
    """200 once every configured model is loaded; 503 problem+json until then."""
    state = request.app.state
    if state.startup_error is not None:
        raise NotReadyError(f"start-up failed: {state.startup_error}")
    if state.runtime is None:
        raise NotReadyError("models are still loading")
    registry = state.runtime.registry
    return {
        "status": "ready",
        "models": {m: str(model.identity) for m, model in registry.models.items()},
        "disabled": registry.disabled,
    }
