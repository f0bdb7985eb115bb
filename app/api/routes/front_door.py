"""POST /enroll, /verify and /identify: the calls people name first, without a version.

Each answers exactly as its ``/v1/`` twin (the same handler, the same schemas, errors and
authentication): ``v1`` is the current API version, and these paths follow it. Clients
that must not change behaviour when a later version becomes current call ``/v1/`` paths.
"""

from fastapi import APIRouter
from fastapi.routing import APIRoute

from app.api.routes import enroll, identify, verify

CURRENT_VERSION = "/v1"
FRONT_DOOR_PATHS = ("/enroll", "/verify", "/identify")


def unversioned(route: APIRoute) -> APIRoute:
    """``route`` at its path without the version prefix; documented as the twin it is."""
    path = route.path.removeprefix(CURRENT_VERSION)
    return APIRoute(
        path,
        route.endpoint,
        methods=route.methods,
        response_model=route.response_model,
        status_code=route.status_code,
        tags=["front door"],
        summary=f"{route.summary or route.name} (= {route.path}, the current version)",
        description=(
            f"Exactly as `{' '.join(sorted(route.methods or ()))} {route.path}`: "
            f"{CURRENT_VERSION.strip('/')} is the current API version.\n\n"
            + (route.description or "")
        ),
        responses=route.responses,
        operation_id=f"{route.name}_unversioned",
        response_model_exclude_none=route.response_model_exclude_none,
    )


def front_door_router() -> APIRouter:
    router = APIRouter()
    versioned = {
        route.path: route
        for module in (enroll, verify, identify)
        for route in module.router.routes
        if isinstance(route, APIRoute)
    }
    for path in FRONT_DOOR_PATHS:
        router.routes.append(unversioned(versioned[CURRENT_VERSION + path]))
    return router
