"""Subjects of a gallery. Every query is scoped by gallery: isolation lives in the SQL."""

import uuid
from typing import Any

from sqlalchemy import delete as sql_delete
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from app.db.models import Subject


def find(session: Session, gallery_id: uuid.UUID, subject_id: uuid.UUID) -> Subject | None:
    return session.scalar(
        select(Subject).where(Subject.gallery_id == gallery_id, Subject.id == subject_id)
    )


def find_by_external_id(
    session: Session, gallery_id: uuid.UUID, external_id: str
) -> Subject | None:
    return session.scalar(
        select(Subject).where(Subject.gallery_id == gallery_id, Subject.external_id == external_id)
    )


def page(
    session: Session, gallery_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[Subject], int]:
    """Subjects in creation order (id breaks ties) and the gallery's total count."""
    rows = session.scalars(
        select(Subject)
        .where(Subject.gallery_id == gallery_id)
        .order_by(Subject.created_at, Subject.id)
        .limit(limit)
        .offset(offset)
    )
    total = session.scalar(
        select(func.count()).select_from(Subject).where(Subject.gallery_id == gallery_id)
    )
    return list(rows), total or 0


def add(
    session: Session,
    gallery_id: uuid.UUID,
    external_id: str | None,
    name: str | None,
    attributes: dict[str, Any],
) -> Subject:
    subject = Subject(
        gallery_id=gallery_id, external_id=external_id, name=name, attributes=attributes
    )
    session.add(subject)
    session.flush()
    return subject


def delete(session: Session, gallery_id: uuid.UUID, subject_id: uuid.UUID) -> bool:
    """Delete the row if it is still there; whether this call deleted it."""
    deleted = session.scalar(
        sql_delete(Subject)
        .where(Subject.id == subject_id, Subject.gallery_id == gallery_id)
        .returning(Subject.id),
        execution_options={"synchronize_session": False},
    )
    return deleted is not None


def find_many(
    session: Session, gallery_id: uuid.UUID, subject_ids: list[uuid.UUID]
) -> dict[uuid.UUID, Subject]:
    # By primary key alone: with the gallery in the WHERE clause SQLite may walk the gallery
    # index (every subject of a large gallery) instead. The gallery is checked here.
    rows = session.scalars(select(Subject).where(Subject.id.in_(subject_ids)))
    return {subject.id: subject for subject in rows if subject.gallery_id == gallery_id}
