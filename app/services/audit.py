"""The audit trail: every decision, every change to what is enrolled or who may call, and
every failed authentication. Never an image, never a secret."""

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from app.db.engine import transaction
from app.db.models import ApiKey, AuditEvent
from app.repository import audit
from app.services.gallery_store import GalleryStore
from app.services.thresholds import DecisionRule
from models.serving import ServedModel


@dataclass(frozen=True)
class Decision:
    action: str
    model: ServedModel
    rule: DecisionRule
    subject_id: uuid.UUID | None
    score: float | None
    match: bool
    details: dict[str, Any]


def record_decision(store: GalleryStore, key: ApiKey, decision: Decision) -> None:
    store.metrics.decisions.labels(
        decision.action, decision.model.modality, str(decision.match).lower()
    ).inc()
    with store.transaction() as session:
        audit.record(
            session,
            AuditEvent(
                gallery_id=key.gallery_id,
                api_key_id=key.id,
                action=decision.action,
                modality=decision.model.modality,
                subject_id=decision.subject_id,
                score=decision.score,
                threshold=decision.rule.threshold,
                decision=decision.match,
                model_name=decision.model.name,
                model_version=decision.model.version,
                details={**decision.details, "far": decision.rule.far},
            ),
        )


def record_action(
    session: Session,
    action: str,
    key: ApiKey | None,
    gallery_id: uuid.UUID | None = None,
    subject_id: uuid.UUID | None = None,
    modality: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """In the caller's transaction: the action and the change it records commit together.
    ``key`` is the caller's gallery key (None for the admin key, which has no row)."""
    audit.record(
        session,
        AuditEvent(
            gallery_id=gallery_id if gallery_id is not None else (key.gallery_id if key else None),
            api_key_id=key.id if key else None,
            action=action,
            modality=modality,
            subject_id=subject_id,
            details=details or {},
        ),
    )


def record_failed_authentication(
    sessions: sessionmaker[Session], reason: str, address: str, method: str, path: str
) -> None:
    """In a transaction of its own (the request's own rolls back). The key presented is not
    stored, not even in part: a near-miss of a real key must not end up in a table."""
    with transaction(sessions) as session:
        audit.record(
            session,
            AuditEvent(
                action="auth.failed",
                details={"reason": reason, "client": address, "method": method, "path": path},
            ),
        )
