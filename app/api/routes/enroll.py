"""POST /v1/enroll: add reference embeddings for a subject from one or more images;
POST /v1/enroll/batch: the same for several subjects in one call."""

import uuid
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile, status
from pydantic import BaseModel, Field

from app.api.deps import CurrentKeyDep, RuntimeDep
from app.api.forms import (
    ExternalId,
    ExternalIdForm,
    ModalityForm,
    NameForm,
    SubjectIdForm,
    subject_choice,
)
from app.api.routes.subjects import SubjectOut, subject_out
from app.api.schemas import FaceOut, ModelRef, face_out, model_ref
from app.api.uploads import read_upload, upload_name
from app.core.errors import InvalidRequestError, NoImageAcceptedError, ServiceError
from app.services.enrollment import EnrollResult, SubjectUploads, Upload, enroll, enroll_many
from app.services.runtime import Runtime

# Subjects of one batch enrolled at once: their images share the model's forward passes.
BATCH_SUBJECTS_AT_ONCE = 8

router = APIRouter(prefix="/v1", tags=["enroll"])


class ImageOutcomeOut(BaseModel):
    index: int
    filename: str
    accepted: bool
    reference_id: uuid.UUID | None = None
    sha256: str | None = None
    reason: str | None = Field(default=None, description="why it was rejected (a problem slug)")
    detail: str | None = None
    face: FaceOut | None = Field(default=None, description="face modality: the face enrolled")


class EnrollOut(BaseModel):
    subject: SubjectOut
    subject_created: bool
    modality: str
    model: ModelRef
    accepted: int
    rejected: int
    images: list[ImageOutcomeOut]


@router.post(
    "/enroll",
    status_code=status.HTTP_201_CREATED,
    summary="Enrol a subject from one or more images",
)
def enroll_images(
    key: CurrentKeyDep,
    runtime: RuntimeDep,
    modality: ModalityForm,
    images: Annotated[list[UploadFile], File(description="one or more images of the subject")],
    subject_id: SubjectIdForm = None,
    external_id: ExternalIdForm = None,
    create: Annotated[
        bool, Form(description="create the external id if unknown", examples=[True])
    ] = False,
    name: NameForm = None,
) -> EnrollOut:
    """One reference per accepted image; each image is accepted or rejected with a reason.

    201 when at least one image is accepted; 422 ``no-image-accepted`` (with ``images``)
    when none is, and then nothing is stored, not even a subject asked to be created.
    """
    choice = subject_choice(subject_id, external_id, create, name)
    uploads = _uploads(runtime, images)
    service = runtime.service(modality)
    return _out(enroll(service, runtime.store, key.gallery_id, key, choice, uploads))


class SubjectProblem(BaseModel):
    type: str = Field(description="the problem type a single enroll would have answered")
    detail: str
    images: list[dict[str, object]] | None = Field(
        default=None, description="no-image-accepted: each image's reason"
    )


class BatchSubjectOut(BaseModel):
    external_id: str
    enrolled: EnrollOut | None = Field(default=None, description="when an image was accepted")
    problem: SubjectProblem | None = Field(default=None, description="when none was")


class BatchEnrollOut(BaseModel):
    subjects: list[BatchSubjectOut]
    accepted: int
    rejected: int


@router.post(
    "/enroll/batch",
    status_code=status.HTTP_201_CREATED,
    summary="Enrol several subjects in one call",
)
def enroll_batch(
    key: CurrentKeyDep,
    runtime: RuntimeDep,
    modality: ModalityForm,
    images: Annotated[list[UploadFile], File(description="the images, of several subjects")],
    external_ids: Annotated[
        list[ExternalId],
        Form(description="one per image, in the same order: the subject it belongs to"),
    ],
    create: Annotated[bool, Form(description="create the external ids not known yet")] = False,
) -> BatchEnrollOut:
    """Several subjects in one call, each enrolled exactly as ``POST /v1/enroll`` would
    (its own transaction, checks and audit record), several at once so their images share
    forward passes. A subject none of whose images is accepted is reported with the problem
    a single enroll would have answered; the others are enrolled. 201 when at least one
    image is accepted, else 422 ``no-image-accepted`` with every subject's problem.
    """
    uploads = _uploads(runtime, images)
    if len(external_ids) != len(images):
        raise InvalidRequestError(
            f"send one external_ids entry per image: {len(images)} images, "
            f"{len(external_ids)} external_ids"
        )
    service = runtime.service(modality)  # a disabled modality fails the call, not each subject
    groups: dict[str, list[Upload]] = {}
    for upload, external_id in zip(uploads, external_ids, strict=True):
        groups.setdefault(external_id, []).append(upload)
    subjects = [SubjectUploads(name, _given(group)) for name, group in groups.items()]
    enrolled = enroll_many(
        service,
        runtime.store,
        key.gallery_id,
        key,
        subjects,
        create,
        at_once=min(BATCH_SUBJECTS_AT_ONCE, len(groups)),
    )
    results = [_subject_out(external_id, result) for external_id, result in enrolled]
    accepted = sum(r.enrolled.accepted for r in results if r.enrolled)
    out = BatchEnrollOut(subjects=results, accepted=accepted, rejected=len(images) - accepted)
    if accepted == 0:
        raise NoImageAcceptedError(
            "none of the images could be enrolled; see subjects[] for each reason",
            {"subjects": [r.model_dump(mode="json", exclude_none=True) for r in results]},
        )
    return out


def _given(uploads: list[Upload]) -> Callable[[], list[Upload]]:
    return lambda: uploads


def _subject_out(external_id: str, result: EnrollResult | ServiceError) -> BatchSubjectOut:
    if isinstance(result, ServiceError):  # this subject's problem; the batch went on
        exc = result
        images = exc.extensions.get("images") if isinstance(exc, NoImageAcceptedError) else None
        problem = SubjectProblem(type=exc.slug, detail=exc.detail, images=images)
        return BatchSubjectOut(external_id=external_id, problem=problem)
    return BatchSubjectOut(external_id=external_id, enrolled=_out(result))


def _uploads(runtime: Runtime, images: list[UploadFile]) -> list[Upload]:
    """The files of one enroll call, at most ``max_enroll_images`` of them, each read up to
    just over the upload limit (the image checks then refuse an oversize one)."""
    limit = runtime.settings.max_enroll_images
    if len(images) > limit:
        raise InvalidRequestError(f"at most {limit} images per enroll; got {len(images)}")
    return [
        Upload(upload_name(upload, i), read_upload(upload, runtime.settings.max_upload_bytes))
        for i, upload in enumerate(images)
    ]


def _out(result: EnrollResult) -> EnrollOut:
    outcomes = [
        ImageOutcomeOut(
            index=o.index,
            filename=o.filename,
            accepted=o.accepted,
            reference_id=o.reference_id,
            sha256=o.sha256,
            reason=o.reason,
            detail=o.detail,
            face=face_out(o.prepared),
        )
        for o in result.images
    ]
    accepted = sum(o.accepted for o in outcomes)
    return EnrollOut(
        subject=subject_out(result.subject),
        subject_created=result.subject_created,
        modality=result.model.modality,
        model=model_ref(result.model),
        accepted=accepted,
        rejected=len(outcomes) - accepted,
        images=outcomes,
    )
