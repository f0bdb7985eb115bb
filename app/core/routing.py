"""The application's routes as a flat list (FastAPI nests each included router's routes)."""

from collections.abc import Iterable, Iterator

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
