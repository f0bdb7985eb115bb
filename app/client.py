"""A Python client for the twinverify API: sync (:class:`Client`) and async
(:class:`AsyncClient`), on httpx.

    from app.client import Client

    with Client("http://127.0.0.1:8000", api_key="tv_...") as client:
        client.enroll(["alice-1.png", "alice-2.png"], external_id="alice", modality="face")
        result = client.verify("probe.jpg", external_id="alice", modality="face")
        print(result.match, result.score, result.threshold)

Images are file paths, bytes or PIL images. Answers are typed results; a problem
(RFC 9457 ``application/problem+json``) becomes a :class:`TwinverifyError` subclass that
carries its stable ``type``, ``title`` and ``detail``. While the service is still loading
its models (503 ``not-ready``) a call is retried until ``ready_timeout`` seconds have
passed. The client imports nothing of the service: httpx (and PIL, for PIL images) is all
it needs.
"""

import asyncio
import io
import os
import time
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

import httpx

ImageInput = str | os.PathLike[str] | bytes | Any  # Any: a PIL image
T = TypeVar("T")
Json = dict[str, Any]

DEFAULT_READY_TIMEOUT = 60.0
RETRY_PAUSE = 0.5  # between tries while the service loads, when it names no Retry-After


# -- errors -----------------------------------------------------------------------------


class TwinverifyError(Exception):
    """A problem the service answered: ``type`` is stable (``/problems/<slug>``)."""

    def __init__(self, status: int, problem: Mapping[str, Any]) -> None:
        self.status = status
        self.problem = dict(problem)
        self.type: str = str(problem.get("type", "about:blank"))
        self.title: str = str(problem.get("title", ""))
        self.detail: str = str(problem.get("detail", ""))
        super().__init__(f"{status} {self.slug}: {self.detail or self.title}")

    @property
    def slug(self) -> str:
        """The type's last part, e.g. ``subject-not-found``."""
        return self.type.rstrip("/").rpartition("/")[2]


class AuthenticationError(TwinverifyError):
    """401: no key, or one that is unknown or revoked."""


class PermissionDeniedError(TwinverifyError):
    """403: the call needs the admin key."""


class NotFoundError(TwinverifyError):
    """404: no subject, reference, gallery or key with that id here."""


class ConflictError(TwinverifyError):
    """409: a taken external id, a disabled modality, ..."""


class PayloadTooLargeError(TwinverifyError):
    """413: the body, a file or an image is too large."""


class UnsupportedImageError(TwinverifyError):
    """415: the image's format is not accepted."""


class InvalidRequestError(TwinverifyError):
    """422: a field, or an image that cannot be used; ``slug`` says why (e.g. ``no-face``)."""

    @property
    def images(self) -> list[Json]:
        """For an enrolment that accepted no image: each image's reason."""
        return list(self.problem.get("images") or [])


class RateLimitedError(TwinverifyError):
    """429: too many failed authentications from this address."""

    @property
    def retry_after(self) -> float | None:
        value = self.problem.get("retry_after")
        return float(value) if value is not None else None


class NotReadyError(TwinverifyError):
    """503: the service is still loading its models (and stayed so past the timeout)."""


class ServerError(TwinverifyError):
    """5xx: the service failed; it discloses no detail."""


_ERRORS: dict[int, type[TwinverifyError]] = {
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    413: PayloadTooLargeError,
    415: UnsupportedImageError,
    422: InvalidRequestError,
    429: RateLimitedError,
    503: NotReadyError,
}


def error_for(response: httpx.Response) -> TwinverifyError:
    try:
        body = response.json()
    except ValueError:
        body = None
    problem = body if isinstance(body, dict) else {"detail": response.text[:500]}
    if response.status_code == 429 and "Retry-After" in response.headers:
        problem.setdefault("retry_after", response.headers["Retry-After"])
    kind = _ERRORS.get(response.status_code)
    if kind is None:
        kind = ServerError if response.status_code >= 500 else TwinverifyError
    return kind(response.status_code, problem)


# -- results ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Subject:
    id: uuid.UUID
    external_id: str | None
    name: str | None
    metadata: Json = field(default_factory=dict)

    @classmethod
    def from_json(cls, body: Json) -> "Subject":
        return cls(
            uuid.UUID(body["id"]),
            body.get("external_id"),
            body.get("name"),
            body.get("metadata") or {},
        )


@dataclass(frozen=True)
class Face:
    """The face the model embedded, in the uploaded photo's pixels."""

    box: tuple[int, int, int, int]  # x, y, width, height
    landmarks: dict[str, tuple[float, float]]
    detection_score: float
    faces_detected: int

    @classmethod
    def from_json(cls, body: Json | None) -> "Face | None":
        if body is None:
            return None
        box = body["box"]
        return cls(
            (box["x"], box["y"], box["width"], box["height"]),
            {name: (point[0], point[1]) for name, point in body["landmarks"].items()},
            body["detection_score"],
            body["faces_detected"],
        )


@dataclass(frozen=True)
class Model:
    name: str
    version: str


@dataclass(frozen=True)
class Decision:
    """What a verify or identify compared against: ``match = score >= threshold``."""

    threshold: float
    far: float | None
    operating_point: str | None


@dataclass(frozen=True)
class VerifyResult:
    match: bool
    score: float
    decision: Decision
    log10_likelihood_ratio: float | None
    modality: str
    model: Model
    references_compared: int
    stale_references: int
    subject: Subject | None
    best_reference_id: uuid.UUID | None
    probe_face: Face | None
    image_b_face: Face | None
    raw: Json

    @property
    def threshold(self) -> float:
        return self.decision.threshold

    @classmethod
    def from_json(cls, body: Json) -> "VerifyResult":
        best = body.get("best_reference_id")
        return cls(
            match=body["match"],
            score=body["score"],
            decision=_decision(body),
            log10_likelihood_ratio=body.get("log10_likelihood_ratio"),
            modality=body["modality"],
            model=Model(**body["model"]),
            references_compared=body["references_compared"],
            stale_references=body["stale_references"],
            subject=Subject.from_json(body["subject"]) if body.get("subject") else None,
            best_reference_id=uuid.UUID(best) if best else None,
            probe_face=Face.from_json(body.get("probe_face")),
            image_b_face=Face.from_json(body.get("image_b_face")),
            raw=body,
        )


@dataclass(frozen=True)
class Candidate:
    subject: Subject
    score: float
    reference_id: uuid.UUID


@dataclass(frozen=True)
class IdentifyResult:
    candidates: list[Candidate]  # best first; empty means unknown
    decision: Decision
    modality: str
    model: Model
    references_searched: int
    stale_references: int
    probe_face: Face | None
    raw: Json

    @property
    def unknown(self) -> bool:
        return not self.candidates

    @classmethod
    def from_json(cls, body: Json) -> "IdentifyResult":
        return cls(
            candidates=[
                Candidate(Subject.from_json(c["subject"]), c["score"], uuid.UUID(c["reference_id"]))
                for c in body["candidates"]
            ],
            decision=_decision(body),
            modality=body["modality"],
            model=Model(**body["model"]),
            references_searched=body["references_searched"],
            stale_references=body["stale_references"],
            probe_face=Face.from_json(body.get("probe_face")),
            raw=body,
        )


@dataclass(frozen=True)
class ImageOutcome:
    index: int
    filename: str
    accepted: bool
    reference_id: uuid.UUID | None
    reason: str | None  # why it was rejected: a problem slug
    detail: str | None
    face: Face | None


@dataclass(frozen=True)
class EnrollResult:
    subject: Subject
    subject_created: bool
    modality: str
    model: Model
    images: list[ImageOutcome]
    raw: Json

    @property
    def accepted(self) -> int:
        return sum(image.accepted for image in self.images)

    @property
    def rejected(self) -> list[ImageOutcome]:
        return [image for image in self.images if not image.accepted]

    @classmethod
    def from_json(cls, body: Json) -> "EnrollResult":
        return cls(
            subject=Subject.from_json(body["subject"]),
            subject_created=body["subject_created"],
            modality=body["modality"],
            model=Model(**body["model"]),
            images=[
                ImageOutcome(
                    image["index"],
                    image["filename"],
                    image["accepted"],
                    uuid.UUID(image["reference_id"]) if image.get("reference_id") else None,
                    image.get("reason"),
                    image.get("detail"),
                    Face.from_json(image.get("face")),
                )
                for image in body["images"]
            ],
            raw=body,
        )


def _decision(body: Json) -> Decision:
    return Decision(body["threshold"], body.get("far"), body["decision_rule"]["operating_point"])


# -- requests ---------------------------------------------------------------------------

Files = list[tuple[str, tuple[str, bytes, str]]]


@dataclass(frozen=True)
class Call(Generic[T]):
    """One API call, built once and sent by either client."""

    method: str
    path: str
    parse: Callable[[httpx.Response], T]
    data: dict[str, str] = field(default_factory=dict)
    files: Files = field(default_factory=list)
    params: dict[str, str | int] = field(default_factory=dict)


def image_file(
    field_name: str, image: ImageInput, index: int = 0
) -> tuple[str, tuple[str, bytes, str]]:
    """A multipart part for a path, bytes or a PIL image (sent as PNG)."""
    if isinstance(image, bytes):
        return field_name, (f"image-{index}", image, "application/octet-stream")
    if isinstance(image, (str, os.PathLike)):
        path = Path(image)
        return field_name, (path.name, path.read_bytes(), "application/octet-stream")
    if hasattr(image, "save"):  # a PIL image
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
        return field_name, (f"image-{index}.png", buffer.getvalue(), "image/png")
    raise TypeError(f"an image is a path, bytes or a PIL image, not {type(image).__name__}")


def _form(**fields: object) -> dict[str, str]:
    """Form fields that were given, as the service reads them."""
    return {
        name: ("true" if value else "false") if isinstance(value, bool) else str(value)
        for name, value in fields.items()
        if value is not None
    }


def _json(parse: Callable[[Json], T]) -> Callable[[httpx.Response], T]:
    return lambda response: parse(response.json())


def _nothing(_: httpx.Response) -> None:
    return None


def enroll_call(
    images: Iterable[ImageInput],
    *,
    modality: str,
    external_id: str | None,
    subject_id: uuid.UUID | str | None,
    create: bool,
    name: str | None,
) -> Call[EnrollResult]:
    return Call(
        "POST",
        "/v1/enroll",
        _json(EnrollResult.from_json),
        _form(
            modality=modality,
            external_id=external_id,
            subject_id=subject_id,
            create=create,
            name=name,
        ),
        [image_file("images", image, n) for n, image in enumerate(images)],
    )


def verify_call(
    image: ImageInput,
    *,
    modality: str,
    external_id: str | None,
    subject_id: uuid.UUID | str | None,
    image_b: ImageInput | None,
    far: float | None,
    threshold: float | None,
) -> Call[VerifyResult]:
    files = [image_file("image", image)]
    if image_b is not None:
        files.append(image_file("image_b", image_b, 1))
    return Call(
        "POST",
        "/v1/verify",
        _json(VerifyResult.from_json),
        _form(
            modality=modality,
            external_id=external_id,
            subject_id=subject_id,
            far=far,
            threshold=threshold,
        ),
        files,
    )


def identify_call(
    image: ImageInput, *, modality: str, top_k: int, far: float | None, threshold: float | None
) -> Call[IdentifyResult]:
    return Call(
        "POST",
        "/v1/identify",
        _json(IdentifyResult.from_json),
        _form(modality=modality, top_k=top_k, far=far, threshold=threshold),
        [image_file("image", image)],
    )


def subjects_call(limit: int, offset: int) -> Call[list[Subject]]:
    return Call(
        "GET",
        "/v1/subjects",
        _json(lambda body: [Subject.from_json(item) for item in body["items"]]),
        params={"limit": limit, "offset": offset},
    )


def delete_subject_call(subject_id: uuid.UUID | str) -> Call[None]:
    return Call("DELETE", f"/v1/subjects/{subject_id}", _nothing)


def models_call() -> Call[list[Json]]:
    return Call("GET", "/v1/models", _json(lambda body: list(body["models"])))


def whoami_call() -> Call[Json]:
    return Call("GET", "/v1/whoami", _json(dict))


# -- clients ----------------------------------------------------------------------------


def _headers(api_key: str | None) -> dict[str, str]:
    return {"X-API-Key": api_key} if api_key else {}


def _pause(response: httpx.Response) -> float:
    try:
        return max(0.0, float(response.headers.get("Retry-After", RETRY_PAUSE)))
    except ValueError:
        return RETRY_PAUSE


class Client:
    """Blocking client. ``ready_timeout``: how long a call waits for a loading service."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        ready_timeout: float = DEFAULT_READY_TIMEOUT,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.ready_timeout = ready_timeout
        self._http = httpx.Client(
            base_url=base_url, headers=_headers(api_key), timeout=timeout, transport=transport
        )

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_: object) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def send(self, call: Call[T]) -> T:
        deadline = time.monotonic() + self.ready_timeout
        while True:
            response = self._http.request(
                call.method,
                call.path,
                data=call.data or None,
                files=call.files or None,
                params=call.params or None,
            )
            if response.status_code == 503 and time.monotonic() + _pause(response) < deadline:
                time.sleep(_pause(response))
                continue
            if response.is_error:
                raise error_for(response)
            return call.parse(response)

    def enroll(
        self,
        images: Iterable[ImageInput],
        *,
        modality: str = "face",
        external_id: str | None = None,
        subject_id: uuid.UUID | str | None = None,
        create: bool = True,
        name: str | None = None,
    ) -> EnrollResult:
        """One reference per accepted image; ``create``: make ``external_id`` if unknown."""
        return self.send(
            enroll_call(
                images,
                modality=modality,
                external_id=external_id,
                subject_id=subject_id,
                create=create,
                name=name,
            )
        )

    def verify(
        self,
        image: ImageInput,
        *,
        modality: str = "face",
        external_id: str | None = None,
        subject_id: uuid.UUID | str | None = None,
        image_b: ImageInput | None = None,
        far: float | None = None,
        threshold: float | None = None,
    ) -> VerifyResult:
        """1:1 against a subject (``external_id`` or ``subject_id``) or a second image."""
        return self.send(
            verify_call(
                image,
                modality=modality,
                external_id=external_id,
                subject_id=subject_id,
                image_b=image_b,
                far=far,
                threshold=threshold,
            )
        )

    def identify(
        self,
        image: ImageInput,
        *,
        modality: str = "face",
        top_k: int = 5,
        far: float | None = None,
        threshold: float | None = None,
    ) -> IdentifyResult:
        """1:N over the gallery; ``unknown`` when no subject passes the threshold."""
        return self.send(
            identify_call(image, modality=modality, top_k=top_k, far=far, threshold=threshold)
        )

    def subjects(self, limit: int = 100, offset: int = 0) -> list[Subject]:
        return self.send(subjects_call(limit, offset))

    def delete_subject(self, subject_id: uuid.UUID | str) -> None:
        self.send(delete_subject_call(subject_id))

    def models(self) -> list[Json]:
        return self.send(models_call())

    def whoami(self) -> Json:
        return self.send(whoami_call())


class AsyncClient:
    """As :class:`Client`, for asyncio code."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        api_key: str | None = None,
        *,
        timeout: float = 30.0,
        ready_timeout: float = DEFAULT_READY_TIMEOUT,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.ready_timeout = ready_timeout
        self._http = httpx.AsyncClient(
            base_url=base_url, headers=_headers(api_key), timeout=timeout, transport=transport
        )

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def send(self, call: Call[T]) -> T:
        deadline = time.monotonic() + self.ready_timeout
        while True:
            response = await self._http.request(
                call.method,
                call.path,
                data=call.data or None,
                files=call.files or None,
                params=call.params or None,
            )
            if response.status_code == 503 and time.monotonic() + _pause(response) < deadline:
                await asyncio.sleep(_pause(response))
                continue
            if response.is_error:
                raise error_for(response)
            return call.parse(response)

    async def enroll(
        self,
        images: Iterable[ImageInput],
        *,
        modality: str = "face",
        external_id: str | None = None,
        subject_id: uuid.UUID | str | None = None,
        create: bool = True,
        name: str | None = None,
    ) -> EnrollResult:
        return await self.send(
            enroll_call(
                images,
                modality=modality,
                external_id=external_id,
                subject_id=subject_id,
                create=create,
                name=name,
            )
        )

    async def verify(
        self,
        image: ImageInput,
        *,
        modality: str = "face",
        external_id: str | None = None,
        subject_id: uuid.UUID | str | None = None,
        image_b: ImageInput | None = None,
        far: float | None = None,
        threshold: float | None = None,
    ) -> VerifyResult:
        return await self.send(
            verify_call(
                image,
                modality=modality,
                external_id=external_id,
                subject_id=subject_id,
                image_b=image_b,
                far=far,
                threshold=threshold,
            )
        )

    async def identify(
        self,
        image: ImageInput,
        *,
        modality: str = "face",
        top_k: int = 5,
        far: float | None = None,
        threshold: float | None = None,
    ) -> IdentifyResult:
        return await self.send(
            identify_call(image, modality=modality, top_k=top_k, far=far, threshold=threshold)
        )

    async def subjects(self, limit: int = 100, offset: int = 0) -> list[Subject]:
        return await self.send(subjects_call(limit, offset))

    async def delete_subject(self, subject_id: uuid.UUID | str) -> None:
        await self.send(delete_subject_call(subject_id))

    async def models(self) -> list[Json]:
        return await self.send(models_call())

    async def whoami(self) -> Json:
        return await self.send(whoami_call())
