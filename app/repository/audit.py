"""The audit trail: decisions, changes, key management and failed authentications."""

import uuid
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import AuditEvent


def record(session: Session, event: AuditEvent) -> None:
    session.add(event)
    session.flush()


def page(
    session: Session,
    limit: int,
    before_id: int | None = None,
    gallery_id: uuid.UUID | None = None,
    action: str | None = None,
    subject_id: uuid.UUID | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[AuditEvent]:
    """Newest first; the next page starts before the last id returned (keyset pagination:
    stable while events keep arriving, and as cheap on the millionth page as on the first)."""
    query = select(AuditEvent)
    if before_id is not None:
        query = query.where(AuditEvent.id < before_id)
    if gallery_id is not None:
        query = query.where(AuditEvent.gallery_id == gallery_id)
    if action is not None:
        query = query.where(AuditEvent.action == action)
    if subject_id is not None:
        query = query.where(AuditEvent.subject_id == subject_id)
    if since is not None:
        query = query.where(AuditEvent.created_at >= since)
    if until is not None:
        query = query.where(AuditEvent.created_at < until)
    return list(session.scalars(query.order_by(AuditEvent.id.desc()).limit(limit)))
