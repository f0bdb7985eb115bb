"""A subject's reference embeddings: list and delete."""

import uuid
from datetime import datetime

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from app.api.deps import CurrentKeyDep, RuntimeDep, SessionDep
from app.api.schemas import ModelRef
from app.services import references as service
from app.services.audit import record_action

router = APIRouter(prefix="/v1/subjects/{subject_id}/references", tags=["references"])


class ReferenceOut(BaseModel):
    id: uuid.UUID
    modality: str
    model: ModelRef
    dimension: int
    quality: float | None
    image_sha256: str
    created_at: datetime
    stale: bool = Field(description="made by a model other than the one serving now")


class ReferenceList(BaseModel):
    items: list[ReferenceOut]


@router.get("", summary="List a subject's references")
def list_references(
    subject_id: uuid.UUID, key: CurrentKeyDep, runtime: RuntimeDep, session: SessionDep
) -> ReferenceList:
    listed = service.list_for_subject(session, runtime.registry, key.gallery_id, subject_id)
    return ReferenceList(
        items=[
            ReferenceOut(
                id=item.reference.id,
                modality=item.reference.modality,
                model=ModelRef(
                    name=item.reference.model_name, version=item.reference.model_version
                ),
                dimension=item.reference.dimension,
                quality=item.reference.quality,
                image_sha256=item.reference.image_sha256,
                created_at=item.reference.created_at,
                stale=item.stale,
            )
            for item in listed
        ]
    )


@router.delete(
    "/{reference_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Delete one reference"
)
def delete_reference(
    subject_id: uuid.UUID, reference_id: uuid.UUID, key: CurrentKeyDep, session: SessionDep
) -> Response:
    service.delete(session, key.gallery_id, subject_id, reference_id)
    record_action(
        session,
        "reference.delete",
        key,
        subject_id=subject_id,
        details={"reference": str(reference_id)},
    )
    return Response(status_code=status.HTTP_204_NO_CONTENT)
