"""POST /v1/identify: who, among the gallery's subjects, is the probe? (1:N)"""

import uuid
from typing import Annotated

from fastapi import APIRouter, File, Form, UploadFile
from pydantic import BaseModel, Field

from app.api.deps import CurrentKeyDep, RuntimeDep
from app.api.forms import FarForm, ModalityForm, ThresholdForm, threshold_choice
from app.api.schemas import (
    DecisionRuleOut,
    FaceOut,
    ModelRef,
    SubjectRef,
    face_out,
    model_ref,
    rule_out,
    subject_ref,
)
from app.api.uploads import read_upload
from app.services.identification import IdentifyResult, identify

router = APIRouter(prefix="/v1", tags=["identify"])

MAX_TOP_K = 100


class CandidateOut(BaseModel):
    subject: SubjectRef
    score: float = Field(description="the subject's best reference score")
    reference_id: uuid.UUID


class IdentifyOut(BaseModel):
    candidates: list[CandidateOut] = Field(description="best first; empty means unknown")
    unknown: bool
    threshold: float
    far: float | None
    decision_rule: DecisionRuleOut
    modality: str
    model: ModelRef
    references_searched: int
    stale_references: int = Field(description="references of older models, not searched")
    probe_face: FaceOut | None = Field(description="face modality: the probe's face")


@router.post("/identify", summary="Identify (1:N): who in the gallery is the probe?")
def identify_probe(
    key: CurrentKeyDep,
    runtime: RuntimeDep,
    modality: ModalityForm,
    image: Annotated[UploadFile, File(description="the probe")],
    top_k: Annotated[
        int, Form(ge=1, le=MAX_TOP_K, description="most candidates returned", examples=[3])
    ] = 5,
    far: FarForm = None,
    threshold: ThresholdForm = None,
) -> IdentifyOut:
    """Exact search over every reference of the serving model in the caller's gallery."""
    rule = threshold_choice(far, threshold)
    probe = read_upload(image, runtime.settings.max_upload_bytes)
    return _out(identify(runtime.service(modality), runtime.store, key, probe, top_k, rule))


def _out(result: IdentifyResult) -> IdentifyOut:
    return IdentifyOut(
        candidates=[
            CandidateOut(subject=subject_ref(c.subject), score=c.score, reference_id=c.reference_id)
            for c in result.candidates
        ],
        unknown=not result.candidates,
        threshold=result.rule.threshold,
        far=result.rule.far,
        decision_rule=rule_out(result.rule),
        modality=result.model.modality,
        model=model_ref(result.model),
        references_searched=result.references_searched,
        stale_references=result.stale_references,
        probe_face=face_out(result.probe),
    )
