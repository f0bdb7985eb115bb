"""Enrolment: images of a subject -> one reference embedding per accepted image.

Every image is accepted (its row committed) or rejected with a reason; nothing in between.
The subject named by ``external_id`` with ``create`` is created only if an image is accepted.
"""

import uuid
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.errors import (
    ImageRejectedError,
    NoImageAcceptedError,
    ServiceError,
    SubjectNotFoundError,
)
from app.db.models import ApiKey, Reference, Subject
from app.db.vectors import encode_vector
from app.repository import references
from app.repository import subjects as subject_rows
from app.services import subjects
from app.services.audit import record_action
from app.services.gallery_store import GalleryStore
from app.services.model_service import ModelService
from models.serving import PreparedInput, ServedModel


@dataclass(frozen=True)
class Upload:
    filename: str
    data: bytes


@dataclass(frozen=True)
class SubjectChoice:
    """Which subject a request means: by id, or by external id (created if asked)."""

    subject_id: uuid.UUID | None
    external_id: str | None
    create: bool = False
    name: str | None = None


@dataclass
class ImageOutcome:
    index: int
    filename: str
    sha256: str | None = None
    reference_id: uuid.UUID | None = None
    reason: str | None = None
    detail: str | None = None
    prepared: PreparedInput | None = None

    @property
    def to_store(self) -> PreparedInput | None:
        """The prepared image unless it was rejected (a rejected duplicate keeps what
        preparing it found, for the response)."""
        return self.prepared if self.reason is None else None

    @property
    def accepted(self) -> bool:
        return self.reference_id is not None


@dataclass(frozen=True)
class EnrollResult:
    subject: Subject
    subject_created: bool
    model: ServedModel
    images: list[ImageOutcome]


def find_subject(
    store: GalleryStore, gallery_id: uuid.UUID, choice: SubjectChoice, enrolling: bool = False
) -> Subject | None:
    """The subject meant, ``None`` if it may be created, else ``subject-not-found``
    (``enrolling``: the error tells how to create it)."""
    with store.transaction() as session:
        return find_subject_in(session, gallery_id, choice, enrolling)


def find_subject_in(
    session: Session, gallery_id: uuid.UUID, choice: SubjectChoice, enrolling: bool = False
) -> Subject | None:
    """``find_subject`` in the caller's transaction."""
    if choice.subject_id is not None:
        return subjects.get(session, gallery_id, choice.subject_id)
    assert choice.external_id is not None, "the route requires one of the two"
    subject = subject_rows.find_by_external_id(session, gallery_id, choice.external_id)
    if subject is None and not choice.create:
        hint = " (send create=true to create it)" if enrolling else ""
        raise SubjectNotFoundError(
            f"no subject with external id {choice.external_id!r} in this gallery{hint}"
        )
    return subject


def enroll(
    service: ModelService,
    store: GalleryStore,
    gallery_id: uuid.UUID,
    key: ApiKey | None,
    choice: SubjectChoice,
    uploads: list[Upload],
) -> EnrollResult:
    """``key``: the caller's gallery key, for the audit trail (None for the operator's bulk
    enrolment from the command line)."""
    model = service.model
    subject = find_subject(store, gallery_id, choice, enrolling=True)
    outcomes = _prepare_all(service, uploads)
    _reject_duplicates(store, model, subject, outcomes)
    storing = [(outcome, image) for outcome in outcomes if (image := outcome.to_store) is not None]
    if not storing:
        raise NoImageAcceptedError(
            "none of the images could be enrolled; see images[] for each reason",
            {"images": [_problem_entry(outcome) for outcome in outcomes]},
        )
    images = [image for _, image in storing]
    vectors = service.embed([image.tensor for image in images])
    created = subject is None
    try:
        subject, rows = _store(store, gallery_id, key, subject, choice, model, images, vectors)
    except IntegrityError as exc:
        if not created:  # the only constraint left: the subject's row vanished meanwhile
            raise SubjectNotFoundError("the subject was deleted during the enroll") from exc
        created = False
        # Another request created this external id between our lookup and our insert:
        # enrol into the subject it created.
        subject = find_subject(store, gallery_id, SubjectChoice(None, choice.external_id))
        subject, rows = _store(store, gallery_id, key, subject, choice, model, images, vectors)
    for (outcome, _), row in zip(storing, rows, strict=True):
        outcome.reference_id = row.id
    return EnrollResult(subject, created, model, outcomes)


@dataclass(frozen=True)
class SubjectUploads:
    """One subject of a bulk enrolment: its external id and its images, read when its turn
    comes (a folder of thousands is never held in memory at once)."""

    external_id: str
    read: Callable[[], list[Upload]]


def enroll_many(
    service: ModelService,
    store: GalleryStore,
    gallery_id: uuid.UUID,
    key: ApiKey | None,
    subjects: Iterable[SubjectUploads],
    create: bool,
    at_once: int,
) -> Iterator[tuple[str, EnrollResult | ServiceError]]:
    """Each subject enrolled by :func:`enroll` (its own transaction, checks and audit
    record), ``at_once`` at a time so their images share the model's forward passes; in
    order, each with its result or the problem a single enroll would have raised (one
    subject's problem does not stop the others)."""

    def one(subject: SubjectUploads) -> tuple[str, EnrollResult | ServiceError]:
        choice = SubjectChoice(None, subject.external_id, create)
        try:
            return subject.external_id, enroll(
                service, store, gallery_id, key, choice, subject.read()
            )
        except ServiceError as exc:
            return subject.external_id, exc

    with ThreadPoolExecutor(at_once, thread_name_prefix="enroll") as pool:
        yield from pool.map(one, subjects)


def _store(
    store: GalleryStore,
    gallery_id: uuid.UUID,
    key: ApiKey | None,
    subject: Subject | None,
    choice: SubjectChoice,
    model: ServedModel,
    images: list[PreparedInput],
    vectors: np.ndarray,
) -> tuple[Subject, list[Reference]]:
    """One transaction: the subject if new, a gallery revision, one row per image, and the
    audit record of it all."""
    created = subject is None
    with store.transaction() as session:
        if subject is None:
            subject = subject_rows.add(session, gallery_id, choice.external_id, choice.name, {})
        revision = references.next_revision(session, gallery_id)
        rows = [
            Reference(
                subject_id=subject.id,
                gallery_id=gallery_id,
                modality=model.modality,
                model_name=model.name,
                model_version=model.version,
                dimension=int(vectors.shape[1]),
                embedding=encode_vector(vector),
                quality=None,
                image_sha256=image.sha256,
                revision=revision,
            )
            for image, vector in zip(images, vectors, strict=True)
        ]
        references.add_all(session, rows)
        record_action(
            session,
            "enroll",
            key,
            gallery_id=gallery_id,
            subject_id=subject.id,
            modality=model.modality,
            details={
                "created_subject": created,
                "model": str(model.identity),
                "references": [str(row.id) for row in rows],
                "image_sha256": [image.sha256 for image in images],
            },
        )
    return subject, rows


def _prepare_all(service: ModelService, uploads: list[Upload]) -> list[ImageOutcome]:
    outcomes = [ImageOutcome(i, upload.filename) for i, upload in enumerate(uploads)]
    results = service.prepare([upload.data for upload in uploads], service.enrol_single_face)
    for outcome, result in zip(outcomes, results, strict=True):
        if isinstance(result, ImageRejectedError):
            outcome.reason, outcome.detail = result.slug, result.detail
        else:
            outcome.sha256 = result.sha256
            outcome.prepared = result
    return outcomes


def _reject_duplicates(
    store: GalleryStore,
    model: ServedModel,
    subject: Subject | None,
    outcomes: list[ImageOutcome],
) -> None:
    """The same file twice adds no information and would skew 1:N toward this subject."""
    seen: set[str] = set()
    if subject is not None:
        with store.transaction() as session:
            seen = references.known_digests(
                session, subject.id, model.modality, model.name, model.version
            )
    for outcome in outcomes:
        image = outcome.to_store
        if image is None:
            continue
        if image.sha256 in seen:
            outcome.reason = "duplicate-image"
            outcome.detail = "this image is already enrolled for the subject"
        seen.add(image.sha256)


def _problem_entry(outcome: ImageOutcome) -> dict[str, object]:
    return {
        "index": outcome.index,
        "filename": outcome.filename,
        "reason": outcome.reason,
        "detail": outcome.detail,
    }
