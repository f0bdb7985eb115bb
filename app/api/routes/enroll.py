"""POST /v1/enroll: add reference embeddings for a subject from one or more images."""

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile, status
from pydantic import BaseModel, Field

from app.api.deps import CurrentKeyDep, RuntimeDep
from app.api.forms import ExternalIdForm, ModalityForm, NameForm, SubjectIdForm, subject_choice
from app.api.routes.subjects import SubjectOut, subject_out
from app.api.schemas import FaceOut, ModelRef, face_out, model_ref
from app.api.uploads import read_upload, upload_name
from app.core.errors import InvalidRequestError
from app.services.enrollment import EnrollResult, Upload, enroll

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


@router.post("/enroll", status_code=status.HTTP_201_CREATED)
def enroll_images(
    key: CurrentKeyDep,
    runtime: RuntimeDep,
    modality: ModalityForm,
    images: Annotated[list[UploadFile], File(description="one or more images of the subject")],
    subject_id: SubjectIdForm = None,
    external_id: ExternalIdForm = None,
    create: Annotated[bool, Form(description="create the external id if unknown")] = False,
    name: NameForm = None,
) -> EnrollOut:
    """One reference per accepted image; each image is accepted or rejected with a reason.

    201 when at least one image is accepted; 422 ``no-image-accepted`` (with ``images``)
    when none is, and then nothing is stored, not even a subject asked to be created.
    """
    choice = subject_choice(subject_id, external_id, create, name)
    limit = runtime.settings.max_enroll_images
    if len(images) > limit:
        raise InvalidRequestError(f"at most {limit} images per enroll; got {len(images)}")
    uploads = [
        Upload(upload_name(upload, i), read_upload(upload, runtime.settings.max_upload_bytes))
        for i, upload in enumerate(images)
    ]
    return _out(enroll(runtime, key.gallery_id, key, modality, choice, uploads))


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
