"""POST /v1/verify: is the probe the claimed subject (or the same as image_b)?"""

import uuid
from typing import Annotated

from fastapi import APIRouter, File, UploadFile
from pydantic import BaseModel, Field

from app.api.deps import CurrentKeyDep, RuntimeDep
from app.api.forms import (
    ExternalIdForm,
    FarForm,
    ModalityForm,
    SubjectIdForm,
    ThresholdForm,
    subject_choice,
    threshold_choice,
)
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
from app.core.errors import InvalidRequestError
from app.services.verification import VerifyResult, verify_pair, verify_subject

router = APIRouter(prefix="/v1", tags=["verify"])


class VerifyOut(BaseModel):
    match: bool
    score: float = Field(description="similarity: higher means more alike")
    threshold: float
    far: float | None
    decision_rule: DecisionRuleOut
    log10_likelihood_ratio: float | None = Field(
        description="the evidence: log10 of how much more probable this score is for the "
        "same source than for a forgery/impostor, from the model's calibration (on trials "
        "against the number of references its card names); null if the model has none"
    )
    modality: str
    model: ModelRef
    references_compared: int = Field(description="references scored; the best one decides")
    stale_references: int = Field(description="references of older models, not compared")
    subject: SubjectRef | None
    best_reference_id: uuid.UUID | None
    probe_face: FaceOut | None = Field(description="face modality: the probe's face")
    image_b_face: FaceOut | None = Field(description="face modality, pair mode: image_b's face")


@router.post("/verify", summary="Verify (1:1): is the probe this subject, or the same as image_b?")
def verify(
    key: CurrentKeyDep,
    runtime: RuntimeDep,
    modality: ModalityForm,
    image: Annotated[UploadFile, File(description="the probe")],
    image_b: Annotated[UploadFile | None, File(description="a second image (pairwise)")] = None,
    subject_id: SubjectIdForm = None,
    external_id: ExternalIdForm = None,
    far: FarForm = None,
    threshold: ThresholdForm = None,
) -> VerifyOut:
    """1:1. Against a subject, the score is the best over the subject's references of the
    serving model; with ``image_b``, the score of the two images."""
    rule = threshold_choice(far, threshold)
    max_bytes = runtime.settings.max_upload_bytes
    probe = read_upload(image, max_bytes)
    if image_b is not None:
        if subject_id is not None or external_id is not None:
            raise InvalidRequestError("send either image_b or a subject, not both")
        second = read_upload(image_b, max_bytes)
        return _out(verify_pair(runtime.service(modality), runtime.store, key, probe, second, rule))
    choice = subject_choice(subject_id, external_id)
    service = runtime.service(modality)
    return _out(verify_subject(service, runtime.store, key, choice, probe, rule))


def _out(result: VerifyResult) -> VerifyOut:
    return VerifyOut(
        match=result.match,
        score=result.score,
        threshold=result.rule.threshold,
        far=result.rule.far,
        decision_rule=rule_out(result.rule),
        log10_likelihood_ratio=_evidence(result),
        modality=result.model.modality,
        model=model_ref(result.model),
        references_compared=result.references_compared,
        stale_references=result.stale_references,
        subject=subject_ref(result.subject) if result.subject else None,
        best_reference_id=result.best_reference_id,
        probe_face=face_out(result.probes[0]),
        image_b_face=face_out(result.probes[1]) if len(result.probes) > 1 else None,
    )


def _evidence(result: VerifyResult) -> float | None:
    calibration = result.model.likelihood_ratio
    return None if calibration is None else round(calibration.log10_lr(result.score), 4)
