"""1:1 verification: a probe against a subject's references, or against a second image.

A subject's score combines the probe's scores against its references of the serving model
by the model's reference scoring (``models/reference_scoring.py``: the best one, or the
mean less the subject's own spread), the rule its thresholds were calibrated on; identify
ranks subjects by the same rule, so a subject's verify score equals its identify score.
"""

import uuid
from dataclasses import dataclass

import numpy as np

from app.core.errors import NoReferencesError
from app.db.engine import transaction
from app.db.models import ApiKey, Subject
from app.db.vectors import decode_vector
from app.inference.images import ImageLimits, PreparedImage, prepare_image
from app.inference.registry import LoadedModel
from app.inference.scoring import embed, scores_against, subject_score
from app.repository import references
from app.services.audit import Decision, record_decision
from app.services.enrollment import SubjectChoice, find_subject
from app.services.runtime import Runtime
from app.services.thresholds import DecisionRule, decision_rule


@dataclass(frozen=True)
class Threshold:
    """What the request asked for: an operating point, an explicit threshold, or neither."""

    far: float | None = None
    value: float | None = None


@dataclass(frozen=True)
class VerifyResult:
    match: bool
    score: float
    rule: DecisionRule
    model: LoadedModel
    references_compared: int
    stale_references: int
    subject: Subject | None
    best_reference_id: uuid.UUID | None
    probes: list[PreparedImage]  # the probe, then image_b in pair mode


def embed_probes(
    runtime: Runtime, model: LoadedModel, *probes: bytes
) -> tuple[np.ndarray, list[PreparedImage]]:
    """The probes' embeddings ``(N, D)`` (one batch) and what preparing each one found."""
    vectors, images = runtime.infer(_prepare_and_embed, model, probes, runtime.image_limits)
    runtime.metrics.embeddings.labels(model.modality).inc(len(probes))
    return vectors, images


def _prepare_and_embed(
    model: LoadedModel, probes: tuple[bytes, ...], limits: ImageLimits
) -> tuple[np.ndarray, list[PreparedImage]]:
    """One trip to the inference pool per request: a probe costs one queue wait."""
    images = [prepare_image(model, data, limits) for data in probes]
    return embed(model, [image.tensor for image in images]), images


def verify_subject(
    runtime: Runtime,
    key: ApiKey,
    modality: str,
    choice: SubjectChoice,
    probe: bytes,
    threshold: Threshold,
) -> VerifyResult:
    model = runtime.model(modality)
    rule = decision_rule(
        model,
        threshold.far,
        threshold.value,
        runtime.settings.default_far(modality),
        runtime.settings.explicit_thresholds == "calibrated",
    )
    subject = find_subject(runtime, key.gallery_id, choice)
    assert subject is not None, "verify never creates subjects"
    vectors, prepared = embed_probes(runtime, model, probe)
    vector = vectors[0]
    with transaction(runtime.sessions) as session:
        rows = references.for_subject(session, subject.id, modality)
    current = [r for r in rows if model.made(r.model_name, r.model_version)]
    stale = len(rows) - len(current)
    if not current:
        raise NoReferencesError(
            f"subject {subject.id} has no {modality} references made by "
            f"{model.name}:{model.version}"
            + (f" ({stale} stale references of older models: re-enrol)" if stale else ""),
            {"stale_references": stale},
        )
    matrix = np.stack([decode_vector(r.embedding, r.dimension) for r in current])
    scores = scores_against(model, vector, matrix)
    best = int(np.argmax(scores))
    score = subject_score(model, scores, matrix)
    result = VerifyResult(
        match=score >= rule.threshold,
        score=score,
        rule=rule,
        model=model,
        references_compared=len(current),
        stale_references=stale,
        subject=subject,
        best_reference_id=current[best].id,
        probes=prepared,
    )
    _record(runtime, key, result, {"probe_sha256": prepared[0].sha256, "mode": "subject"})
    return result


def verify_pair(
    runtime: Runtime, key: ApiKey, modality: str, first: bytes, second: bytes, threshold: Threshold
) -> VerifyResult:
    model = runtime.model(modality)
    rule = decision_rule(
        model,
        threshold.far,
        threshold.value,
        runtime.settings.default_far(modality),
        runtime.settings.explicit_thresholds == "calibrated",
    )
    vectors, prepared = embed_probes(runtime, model, first, second)
    # image_b is a subject with one reference: scored by the same rule
    score = subject_score(model, scores_against(model, vectors[0], vectors[1:]), vectors[1:])
    result = VerifyResult(
        match=score >= rule.threshold,
        score=score,
        rule=rule,
        model=model,
        references_compared=1,
        stale_references=0,
        subject=None,
        best_reference_id=None,
        probes=prepared,
    )
    details: dict[str, object] = {
        "probe_sha256": prepared[0].sha256,
        "image_b_sha256": prepared[1].sha256,
        "mode": "pair",
    }
    _record(runtime, key, result, details)
    return result


def _record(
    runtime: Runtime, key: ApiKey, result: VerifyResult, details: dict[str, object]
) -> None:
    record_decision(
        runtime,
        key,
        Decision(
            action="verify",
            model=result.model,
            rule=result.rule,
            subject_id=result.subject.id if result.subject else None,
            score=result.score,
            match=result.match,
            details={**details, "references_compared": result.references_compared},
        ),
    )
