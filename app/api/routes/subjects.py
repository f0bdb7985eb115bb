"""Subjects of the caller's gallery."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status
from pydantic import BaseModel, Field

from app.api.deps import CurrentKeyDep, SessionDep
from app.api.text import Metadata, StoredText
from app.db.models import Subject
from app.services import subjects as service
from app.services.audit import record_action

router = APIRouter(prefix="/v1/subjects", tags=["subjects"])


class SubjectIn(BaseModel):
    external_id: StoredText | None = Field(default=None, min_length=1, max_length=200)
    name: StoredText | None = Field(default=None, max_length=200)
    metadata: Metadata = Field(
        default_factory=dict, description="free-form JSON object, at most 16 KiB, 8 levels"
    )


class SubjectPatch(BaseModel):
    external_id: StoredText | None = Field(default=None, min_length=1, max_length=200)
    name: StoredText | None = Field(default=None, max_length=200)
    metadata: Metadata | None = None


class SubjectOut(BaseModel):
    id: uuid.UUID
    external_id: str | None
    name: str | None
    metadata: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class SubjectPage(BaseModel):
    items: list[SubjectOut]
    total: int
    limit: int
    offset: int


def subject_out(subject: Subject) -> SubjectOut:
    return SubjectOut(
        id=subject.id,
        external_id=subject.external_id,
        name=subject.name,
        metadata=subject.attributes,
        created_at=subject.created_at,
        updated_at=subject.updated_at,
    )


@router.post(
    "", status_code=status.HTTP_201_CREATED, summary="Create a subject (no references yet)"
)
def create_subject(body: SubjectIn, key: CurrentKeyDep, session: SessionDep) -> SubjectOut:
    subject = service.create(session, key.gallery_id, body.external_id, body.name, body.metadata)
    return subject_out(subject)


@router.get("", summary="List the gallery's subjects")
def list_subjects(
    key: CurrentKeyDep,
    session: SessionDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    # bounded so the database's 64-bit OFFSET cannot overflow into a server error
    offset: Annotated[int, Query(ge=0, le=1_000_000_000)] = 0,
) -> SubjectPage:
    subjects, total = service.page(session, key.gallery_id, limit, offset)
    return SubjectPage(
        items=[subject_out(s) for s in subjects], total=total, limit=limit, offset=offset
    )


@router.get("/{subject_id}", summary="Read a subject")
def get_subject(subject_id: uuid.UUID, key: CurrentKeyDep, session: SessionDep) -> SubjectOut:
    return subject_out(service.get(session, key.gallery_id, subject_id))


@router.patch("/{subject_id}", summary="Change a subject's external id, name or metadata")
def update_subject(
    subject_id: uuid.UUID, body: SubjectPatch, key: CurrentKeyDep, session: SessionDep
) -> SubjectOut:
    changes = body.model_dump(exclude_unset=True)
    if "metadata" in changes:
        changes["attributes"] = changes.pop("metadata") or {}
    return subject_out(service.update(session, key.gallery_id, subject_id, changes))


@router.delete(
    "/{subject_id}",
    status_code=status.HTTP_204_NO_CONTENT,
    summary="Delete a subject and its references",
)
def delete_subject(subject_id: uuid.UUID, key: CurrentKeyDep, session: SessionDep) -> Response:
    service.delete(session, key.gallery_id, subject_id)
    record_action(session, "subject.delete", key, subject_id=subject_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
