"""The SQL side of keeping search matrices current: revisions, added rows, removals."""

import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.db.models import Gallery, Reference, ReferenceRemoval
from app.db.vectors import decode_vector

# Rows fetched per round trip when loading a large gallery.
_FETCH_ROWS = 10_000


@dataclass(frozen=True)
class AddedReference:
    reference_id: uuid.UUID
    subject_id: uuid.UUID
    modality: str
    model_name: str
    model_version: str
    dimension: int
    vector: np.ndarray


def gallery_ids(session: Session) -> list[uuid.UUID]:
    return list(session.scalars(select(Gallery.id)))


def current_revision(session: Session, gallery_id: uuid.UUID) -> int | None:
    return session.scalar(select(Gallery.revision).where(Gallery.id == gallery_id))


def added_between(
    session: Session, gallery_id: uuid.UUID, after: int, upto: int
) -> Iterator[AddedReference]:
    """Rows added in revisions ``after < r <= upto`` that still exist, oldest first."""
    query = (
        select(
            Reference.id,
            Reference.subject_id,
            Reference.modality,
            Reference.model_name,
            Reference.model_version,
            Reference.dimension,
            Reference.embedding,
        )
        .where(
            Reference.gallery_id == gallery_id,
            Reference.revision > after,
            Reference.revision <= upto,
        )
        .order_by(Reference.sequence)
        .execution_options(yield_per=_FETCH_ROWS)
    )
    for row in session.execute(query):
        yield AddedReference(
            reference_id=row.id,
            subject_id=row.subject_id,
            modality=row.modality,
            model_name=row.model_name,
            model_version=row.model_version,
            dimension=row.dimension,
            vector=decode_vector(row.embedding, row.dimension),
        )


def removed_between(
    session: Session, gallery_id: uuid.UUID, after: int, upto: int
) -> list[uuid.UUID]:
    return list(
        session.scalars(
            select(ReferenceRemoval.reference_id).where(
                ReferenceRemoval.gallery_id == gallery_id,
                ReferenceRemoval.revision > after,
                ReferenceRemoval.revision <= upto,
            )
        )
    )
