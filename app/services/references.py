"""A subject's references: listing (with staleness against the serving models) and removal."""

import uuid
from dataclasses import dataclass

from sqlalchemy.orm import Session

from app.core.errors import ReferenceNotFoundError
from app.db.models import Reference
from app.inference.registry import ModelRegistry
from app.repository import references as repository
from app.services import subjects


@dataclass(frozen=True)
class ListedReference:
    reference: Reference
    stale: bool  # made by a model other than the one now serving its modality


def list_for_subject(
    session: Session, registry: ModelRegistry, gallery_id: uuid.UUID, subject_id: uuid.UUID
) -> list[ListedReference]:
    subject = subjects.get(session, gallery_id, subject_id)
    rows = repository.for_subject(session, subject.id)
    return [ListedReference(row, _is_stale(registry, row)) for row in rows]


def delete(
    session: Session, gallery_id: uuid.UUID, subject_id: uuid.UUID, reference_id: uuid.UUID
) -> None:
    subject = subjects.get(session, gallery_id, subject_id)
    if not repository.remove(session, gallery_id, subject.id, [reference_id]):
        # never there, or removed by a concurrent request first: either way not here now
        raise ReferenceNotFoundError(f"subject {subject_id} has no reference {reference_id}")


def _is_stale(registry: ModelRegistry, row: Reference) -> bool:
    model = registry.models.get(row.modality)
    if model is None:
        return False  # nothing serves the modality now: nothing to be stale against
    return not model.identity.made(row.model_name, row.model_version)
