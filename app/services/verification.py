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
from app.db.models import ApiKey, Subject
from app.services.audit import Decision, record_decision
from app.services.enrollment import SubjectChoice, find_subject_in
from app.services.gallery_store import GalleryStore
from app.services.model_service import ModelService
from app.services.thresholds import DecisionRule, Threshold
from models.serving import PreparedInput, ServedModel


@dataclass(frozen=True)
class VerifyResult:
    match: bool
    score: float
    rule: DecisionRule
    model: ServedModel
    references_compared: int
    stale_references: int
    subject: Subject | None
    best_reference_id: uuid.UUID | None
    probes: list[PreparedInput]  # the probe, then image_b in pair mode


def verify_subject(
    service: ModelService,
    store: GalleryStore,
    key: ApiKey,
    choice: SubjectChoice,
    probe: bytes,
    threshold: Threshold,
) -> VerifyResult:
    model = service.model
    rule = service.rule(threshold)
    # One transaction finds the subject and catches the gallery's search matrices up with
    # SQL by revision; the subject's references are read there rather than re-read and
    # decoded from the table, and a subject with nothing to compare is refused before the
    # model runs.
    with store.transaction() as session:
        subject = find_subject_in(session, key.gallery_id, choice)
        assert subject is not None, "verify never creates subjects"
        with store.index.synced_in(session, key.gallery_id) as gallery:
            matrix = gallery.matrix(model.identity)
            ids, references = (
                ([], np.empty(0)) if matrix is None else matrix.references_of(subject.id)
            )
            stale = gallery.stale_references(model.identity, subject.id)
    if not ids:
        raise NoReferencesError(
            f"subject {subject.id} has no {model.modality} references made by {model.identity}"
            + (f" ({stale} stale references of older models: re-enrol)" if stale else ""),
            {"stale_references": stale},
        )
    vectors, prepared = service.embed_probes(probe)
    scores = model.scores(vectors[0], references)
    best = int(np.argmax(scores))
    score = model.subject_score(scores, references)
    result = VerifyResult(
        match=score >= rule.threshold,
        score=score,
        rule=rule,
        model=model,
        references_compared=len(ids),
        stale_references=stale,
        subject=subject,
        best_reference_id=ids[best],
        probes=prepared,
    )
    _record(store, key, result, {"probe_sha256": prepared[0].sha256, "mode": "subject"})
    return result


def verify_pair(
    service: ModelService,
    store: GalleryStore,
    key: ApiKey,
    first: bytes,
    second: bytes,
    threshold: Threshold,
) -> VerifyResult:
    model = service.model
    rule = service.rule(threshold)
    vectors, prepared = service.embed_probes(first, second)
    # image_b is a subject with one reference: scored by the same rule
    score = model.subject_score(model.scores(vectors[0], vectors[1:]), vectors[1:])
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
    _record(store, key, result, details)
    return result


def _record(
    store: GalleryStore, key: ApiKey, result: VerifyResult, details: dict[str, object]
) -> None:
    record_decision(
        store,
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
