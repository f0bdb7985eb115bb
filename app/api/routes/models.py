"""GET /v1/models: what each modality serves, with its thresholds and validation figures."""

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from app.api.deps import CurrentKeyDep, RuntimeDep
from models.evaluation.calibration import OperatingPoint, operating_point_key
from models.evaluation.likelihood_ratio import LikelihoodRatioCalibration
from models.reference_scoring import ReferenceScoring
from models.serving import ServedModel

router = APIRouter(prefix="/v1", tags=["models"])


class ModelOut(BaseModel):
    modality: str
    enabled: bool
    disabled_reason: str | None = None
    name: str | None = None
    version: str | None = None
    device: str | None = None
    compute_path: str | None = Field(
        default=None,
        description="how the forward pass runs: fp32, channels-last (float32, NHWC) or bf16",
    )
    compute_path_reason: str | None = None
    embedding_size: int | None = None
    score_kind: str | None = None
    comparison: str | None = None
    preprocessing: dict[str, Any] | None = None
    thresholds: dict[str, OperatingPoint] | None = None
    default_operating_point: str | None = Field(
        default=None, description="the threshold a request naming neither far nor threshold gets"
    )
    likelihood_ratio: LikelihoodRatioCalibration | None = Field(
        default=None, description="score -> log10 likelihood ratio, as verify reports it"
    )
    reference_scoring: ReferenceScoring | None = Field(
        default=None,
        description="how a probe's scores against a subject's references become its score",
    )
    metrics: dict[str, Any] | None = None
    provenance: dict[str, Any] | None = None
    created_at: str | None = None


class ModelList(BaseModel):
    models: list[ModelOut]


@router.get(
    "/models",
    response_model_exclude_none=True,
    summary="The served models, their operating points and provenance",
)
def list_models(_key: CurrentKeyDep, runtime: RuntimeDep) -> ModelList:
    enabled = [
        _enabled(model, operating_point_key(runtime.settings.default_far(modality)))
        for modality, model in sorted(runtime.registry.models.items())
    ]
    disabled = [
        ModelOut(modality=modality, enabled=False, disabled_reason=reason)
        for modality, reason in sorted(runtime.registry.disabled.items())
    ]
    return ModelList(models=enabled + disabled)


def _enabled(model: ServedModel, default_point: str) -> ModelOut:
    meta = model.metadata
    return ModelOut(
        modality=model.modality,
        enabled=True,
        name=meta.name,
        version=meta.version,
        device=str(model.device),
        compute_path=model.compute_path.name,
        compute_path_reason=model.compute_path.reason,
        embedding_size=meta.embedding_size,
        score_kind=meta.score_kind,
        comparison=meta.comparison.name,
        preprocessing=meta.preprocessing.model_dump(),
        thresholds=meta.thresholds,
        likelihood_ratio=meta.likelihood_ratio,
        reference_scoring=meta.reference_scoring,
        default_operating_point=default_point if default_point in meta.thresholds else None,
        metrics=meta.metrics,
        provenance=meta.provenance.model_dump(mode="json") if meta.provenance else None,
        created_at=meta.created_at,
    )
