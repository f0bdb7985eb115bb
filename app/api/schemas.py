"""Response pieces shared by the verification endpoints."""

import uuid

from pydantic import BaseModel, Field

from app.db.models import Subject
from app.inference.registry import LoadedModel
from app.services.thresholds import DecisionRule


class ModelRef(BaseModel):
    name: str
    version: str


class SubjectRef(BaseModel):
    id: uuid.UUID
    external_id: str | None
    name: str | None


class DecisionRuleOut(BaseModel):
    threshold: float = Field(description="match = score >= threshold")
    far: float | None = Field(description="target false accept rate; null for a given threshold")
    operating_point: str | None
    calibration_reliable: bool | None = Field(
        description="false when calibration had too few impostor pairs to observe this FAR"
    )


def model_ref(model: LoadedModel) -> ModelRef:
    return ModelRef(name=model.name, version=model.version)


def subject_ref(subject: Subject) -> SubjectRef:
    return SubjectRef(id=subject.id, external_id=subject.external_id, name=subject.name)


def rule_out(rule: DecisionRule) -> DecisionRuleOut:
    return DecisionRuleOut(
        threshold=rule.threshold,
        far=rule.far,
        operating_point=rule.operating_point,
        calibration_reliable=rule.reliable,
    )
