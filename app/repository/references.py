"""Reference embeddings and the gallery revisions that order every change to them."""

import uuid
from collections.abc import Sequence

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from app.db.models import Gallery, Reference, ReferenceRemoval


def next_revision(session: Session, gallery_id: uuid.UUID) -> int:
    """Take the gallery's row lock (held to commit) and return its new revision.

    Concurrent writers to one gallery queue here, so revisions commit in increasing order.
    """
    session.execute(
        update(Gallery).where(Gallery.id == gallery_id).values(revision=Gallery.revision + 1)
    )
    revision = session.scalar(select(Gallery.revision).where(Gallery.id == gallery_id))
    assert revision is not None, "the caller's key belongs to this gallery"
    return revision


def for_subject(
    session: Session, subject_id: uuid.UUID, modality: str | None = None
) -> list[Reference]:
    query = select(Reference).where(Reference.subject_id == subject_id)
    if modality is not None:
        query = query.where(Reference.modality == modality)
    return list(session.scalars(query.order_by(Reference.sequence)))


def known_digests(
    session: Session, subject_id: uuid.UUID, modality: str, model_name: str, model_version: str
) -> set[str]:
    """Image digests already enrolled for this subject with this model."""
    return set(
        session.scalars(
            select(Reference.image_sha256).where(
                Reference.subject_id == subject_id,
                Reference.modality == modality,
                Reference.model_name == model_name,
                Reference.model_version == model_version,
            )
        )
    )


def add_all(session: Session, references: Sequence[Reference]) -> None:
    session.add_all(references)
    session.flush()


def remove(
    session: Session,
    gallery_id: uuid.UUID,
    subject_id: uuid.UUID,
    reference_ids: Sequence[uuid.UUID],
) -> list[uuid.UUID]:
    """Delete the subject's rows among ``reference_ids`` for real, record their removal at
    a new gallery revision, and return the ids this call removed.

    The gallery's lock is taken first and the delete is conditional: of two concurrent
    removals of one row, the second waits for the first and then finds nothing to delete,
    so exactly one succeeds and one removal is recorded.
    """
    revision = next_revision(session, gallery_id)
    removed = list(
        session.scalars(
            delete(Reference)
            .where(Reference.subject_id == subject_id, Reference.id.in_(reference_ids))
            .returning(Reference.id),
            execution_options={"synchronize_session": False},
        )
    )
    _record_removals(session, gallery_id, removed, revision)
    return removed


def record_subject_removal(
    session: Session, gallery_id: uuid.UUID, subject_id: uuid.UUID, revision: int
) -> None:
    """Before a subject is deleted (its rows go by cascade): record each removal at the
    revision the caller took (holding the gallery's lock)."""
    ids = list(session.scalars(select(Reference.id).where(Reference.subject_id == subject_id)))
    _record_removals(session, gallery_id, ids, revision)


def _record_removals(
    session: Session, gallery_id: uuid.UUID, reference_ids: Sequence[uuid.UUID], revision: int
) -> None:
    """All at one gallery revision, so other processes drop them together."""
    session.add_all(
        ReferenceRemoval(gallery_id=gallery_id, reference_id=ref_id, revision=revision)
        for ref_id in reference_ids
    )
    session.flush()
