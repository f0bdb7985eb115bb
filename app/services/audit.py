"""Every verify and identify decision goes to the audit table (never the image)."""

import uuid
from dataclasses import dataclass
from typing import Any

from app.db.engine import transaction
from app.db.models import ApiKey, AuditEvent
from app.inference.registry import LoadedModel
from app.repository import audit
from app.services.runtime import Runtime
from app.services.thresholds import DecisionRule


@dataclass(frozen=True)
class Decision:
    action: str
    model: LoadedModel
    rule: DecisionRule
    subject_id: uuid.UUID | None
    score: float | None
    match: bool
    details: dict[str, Any]


def record_decision(runtime: Runtime, key: ApiKey, decision: Decision) -> None:
    runtime.metrics.decisions.labels(
        decision.action, decision.model.modality, str(decision.match).lower()
    ).inc()
    with transaction(runtime.sessions) as session:
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
