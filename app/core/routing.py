"""The application's routes as a flat list (FastAPI nests each included router's routes),
and what a route depends on."""

from collections.abc import Callable, Iterable, Iterator
from typing import Any

from fastapi.dependencies.models import Dependant
from starlette.routing import BaseRoute


def leaf_routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    pending = list(routes)
    while pending:
        route = pending.pop(0)
        included = getattr(route, "original_router", None)  # an included APIRouter
        if included is not None:
            pending[:0] = included.routes
        else:
            yield route


def dependency_calls(dependant: Dependant | None) -> set[Callable[..., Any]]:
    """Every function a route's dependency tree calls (a missing dependant calls none)."""
    found: set[Callable[..., Any]] = set()
    pending = list(dependant.dependencies) if dependant is not None else []
    while pending:
        child = pending.pop()
        if child.call is not None:
            found.add(child.call)
        pending.extend(child.dependencies)
    return found
