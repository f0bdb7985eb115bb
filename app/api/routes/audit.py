"""GET /v1/admin/audit: the audit trail, filtered and paginated, for the admin key only."""

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import AwareDatetime, BaseModel

from app.api.deps import AdminDep, SessionDep
from app.repository import audit

router = APIRouter(prefix="/v1/admin", tags=["admin"])

ACTIONS = (
    "verify",
    "identify",
    "enroll",
    "subject.delete",
    "reference.delete",
    "gallery.create",
    "key.create",
    "key.revoke",
    "auth.failed",
)


class AuditEventOut(BaseModel):
    id: int
    created_at: datetime
    action: str
    gallery_id: uuid.UUID | None
    api_key_id: uuid.UUID | None
    subject_id: uuid.UUID | None
    modality: str | None
    score: float | None
    threshold: float | None
    decision: bool | None
    model_name: str | None
    model_version: str | None
    details: dict[str, Any]


class AuditPage(BaseModel):
    items: list[AuditEventOut]
    next_before_id: int | None


@router.get("/audit", summary="Read the audit trail (admin)")
def list_audit_events(
    session: SessionDep,
    _: AdminDep,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
    before_id: Annotated[int | None, Query(ge=1, description="the next page's cursor")] = None,
    gallery_id: uuid.UUID | None = None,
    action: Annotated[str | None, Query(pattern="^(" + "|".join(ACTIONS) + ")$")] = None,
    subject_id: uuid.UUID | None = None,
    since: Annotated[AwareDatetime | None, Query(description="inclusive, with offset")] = None,
    until: Annotated[AwareDatetime | None, Query(description="exclusive, with offset")] = None,
) -> AuditPage:
    """Newest first. Pass ``next_before_id`` back as ``before_id`` for the next page."""
    rows = audit.page(session, limit, before_id, gallery_id, action, subject_id, since, until)
    items = [AuditEventOut.model_validate(row, from_attributes=True) for row in rows]
    next_before_id = items[-1].id if len(items) == limit else None
    return AuditPage(items=items, next_before_id=next_before_id)
