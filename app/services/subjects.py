"""Subjects: creation with unique external ids, lookup within a gallery, updates, deletion."""

import uuid
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.core.errors import ExternalIdExistsError, SubjectNotFoundError
from app.db.models import Subject
from app.repository import references
from app.repository import subjects as repository


def create(
    session: Session,
    gallery_id: uuid.UUID,
    external_id: str | None,
    name: str | None,
    attributes: dict[str, Any],
) -> Subject:
    taken = ExternalIdExistsError(f"external id {external_id!r} is already used in this gallery")
    if external_id is not None and repository.find_by_external_id(session, gallery_id, external_id):
        raise taken
    try:
        return repository.add(session, gallery_id, external_id, name, attributes)
    except IntegrityError as exc:
        # Another request created this external id between our lookup and our insert (the
        # gallery's unique constraint is the only one an insert can break).
        raise taken from exc


def page(
    session: Session, gallery_id: uuid.UUID, limit: int, offset: int
) -> tuple[list[Subject], int]:
    return repository.page(session, gallery_id, limit, offset)


def get(session: Session, gallery_id: uuid.UUID, subject_id: uuid.UUID) -> Subject:
    subject = repository.find(session, gallery_id, subject_id)
    if subject is None:
        raise SubjectNotFoundError(f"no subject {subject_id} in this gallery")
    return subject


def update(
    session: Session,
    gallery_id: uuid.UUID,
    subject_id: uuid.UUID,
    changes: dict[str, Any],
) -> Subject:
    """Apply the fields present in ``changes`` (``external_id``, ``name``, ``attributes``)."""
    subject = get(session, gallery_id, subject_id)
    new_external = changes.get("external_id", subject.external_id)
    taken = (
        new_external is not None
        and new_external != subject.external_id
        and repository.find_by_external_id(session, gallery_id, new_external) is not None
    )
    if taken:
        raise ExternalIdExistsError(f"external id {new_external!r} is already used in this gallery")
    for field in ("external_id", "name", "attributes"):
        if field in changes:
            setattr(subject, field, changes[field])
    try:
        session.flush()
    except IntegrityError as exc:  # taken by another request since the lookup above
        message = f"external id {new_external!r} is already used in this gallery"
        raise ExternalIdExistsError(message) from exc
    return subject


def delete(session: Session, gallery_id: uuid.UUID, subject_id: uuid.UUID) -> None:
    """Remove the subject; the database removes its references (ON DELETE CASCADE), and
    their removal is recorded so every process drops them from its search matrices."""
    subject = get(session, gallery_id, subject_id)
    # The gallery's lock first, then a conditional delete: of concurrent deletes of one
    # subject exactly one finds it; the others wait, find nothing and answer 404.
    revision = references.next_revision(session, gallery_id)
    references.record_subject_removal(session, gallery_id, subject.id, revision)
    if not repository.delete(session, gallery_id, subject.id):
        raise SubjectNotFoundError(f"no subject {subject_id} in this gallery")
