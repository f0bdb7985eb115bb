"""Which problem types each operation can answer, for the OpenAPI document.

A client handles problems by ``type`` (``/problems/<slug>``); the document lists, per
operation and status, the types that operation can return, each with its title and an
example, so nobody has to provoke an error to learn its name. The titles come from the
error classes themselves (``app/core/errors.py``) and, for images, from the reasons the
models raise (``models/errors.py``), so the list cannot drift from what is sent.
"""

from typing import TypeVar

from fastapi.routing import APIRoute

from app.api.deps import current_key, get_runtime, require_admin
from app.core.errors import ImageRejectedError, ServiceError
from app.core.routing import dependency_calls
from models.errors import ImageError, TrajectoryError

IMAGE_TITLE = ImageRejectedError.title
# The status each image reason is answered with (app/inference/images.py), 422 otherwise.
_IMAGE_STATUS = {"upload-too-large": 413, "too-many-pixels": 413, "unsupported-image-format": 415}
SERVER_ERROR = ("internal-error", "Internal error")


E = TypeVar("E", bound=Exception)


def _subclasses(kind: type[E]) -> list[type[E]]:
    found: list[type[E]] = []
    for sub in kind.__subclasses__():
        found += [sub, *_subclasses(sub)]
    return found


def service_titles() -> dict[str, tuple[int, str]]:
    """slug -> (status, title) of every error the service raises on purpose."""
    return {
        error.slug: (error.status, error.title)
        for error in _subclasses(ServiceError)
        if "slug" in error.__dict__
    }


def image_reasons() -> dict[str, int]:
    """slug -> status of every reason an image can be refused for."""
    # Trajectories' reasons join once a modality that takes trajectories is served.
    every: list[type[ImageError]] = [ImageError, *_subclasses(ImageError)]
    kinds = [kind for kind in every if not issubclass(kind, TrajectoryError)]
    reasons = {kind.reason for kind in kinds}
    return {reason: _IMAGE_STATUS.get(reason, 422) for reason in sorted(reasons)}


def _route_slugs(route: APIRoute) -> set[str]:
    """The service errors this route can raise, from what it depends on and where it is."""
    calls = dependency_calls(route.dependant)
    path, methods = route.path.removeprefix("/v1"), route.methods or set()
    slugs = {"validation-error"}
    if current_key in calls or require_admin in calls:
        slugs |= {"missing-api-key", "too-many-auth-failures"}
    slugs |= {"invalid-api-key"} if current_key in calls else set()
    slugs |= {"admin-required"} if require_admin in calls else set()
    if get_runtime in calls or path == "/health/ready":
        slugs.add("not-ready")
    if route.dependant.body_params:  # the body size limit answers before anything else
        slugs.add("upload-too-large")
    if get_runtime in calls and route.dependant.body_params:
        slugs.add("modality-not-enabled")
    if path in {"/enroll", "/enroll/batch", "/verify"} or path.startswith("/subjects/{"):
        slugs.add("subject-not-found")
    if path.startswith("/subjects/{subject_id}/references/{"):
        slugs.add("reference-not-found")
    if path.startswith("/admin/galleries/{"):
        slugs.add("gallery-not-found")
    if path.startswith("/admin/keys/{"):
        slugs.add("key-not-found")
    if path == "/admin/galleries" and "POST" in methods:
        slugs.add("gallery-exists")
    if path in {"/enroll", "/enroll/batch"} or (
        path.startswith("/subjects") and methods & {"POST", "PATCH"}
    ):
        slugs.add("external-id-exists")
    if path in {"/enroll", "/enroll/batch"}:
        slugs.add("no-image-accepted")
    if path in {"/verify", "/identify"}:
        slugs |= {"unknown-operating-point", "threshold-out-of-range"}
    if path == "/verify":
        slugs.add("no-references")
    return slugs


def problem_types(route: APIRoute) -> dict[int, list[tuple[str, str]]]:
    """status -> [(slug, title)] this route can answer, the server error included."""
    titles = service_titles()
    found: dict[int, list[tuple[str, str]]] = {500: [SERVER_ERROR]}
    for slug in sorted(_route_slugs(route)):
        status, title = titles[slug]
        found.setdefault(status, []).append((slug, title))
    # Routes that take an image refuse it with the reason itself as the type (enrol
    # reports the same reasons per image, and fails with no-image-accepted).
    takes_image = get_runtime in dependency_calls(route.dependant) and route.dependant.body_params
    if takes_image and not route.path.removeprefix("/v1").startswith("/enroll"):
        for reason, status in image_reasons().items():
            if reason not in {"upload-too-large", "multiple-faces"}:  # the latter: enrolment
                found.setdefault(status, []).append((reason, IMAGE_TITLE))
    return found
