"""1:N identification: the probe against every current reference of the gallery, exactly."""

import uuid
from dataclasses import dataclass

import numpy as np

from app.db.models import ApiKey, Subject
from app.repository import subjects as subject_rows
from app.search.matrix import EmbeddingMatrix
from app.search.ranking import (
    Candidate,
    best_subjects,
    best_subjects_by_score,
    mean_subject_scores,
)
from app.services.audit import Decision, record_decision
from app.services.gallery_store import GalleryStore
from app.services.model_service import ModelService
from app.services.thresholds import DecisionRule, Threshold
from models.serving import PreparedInput, ServedModel


@dataclass(frozen=True)
class IdentifiedSubject:
    subject: Subject
    score: float
    reference_id: uuid.UUID


@dataclass(frozen=True)
class IdentifyResult:
    candidates: list[IdentifiedSubject]
    rule: DecisionRule
    model: ServedModel
    references_searched: int
    stale_references: int
    probe: PreparedInput


def identify(
    service: ModelService,
    store: GalleryStore,
    key: ApiKey,
    probe: bytes,
    top_k: int,
    threshold: Threshold,
) -> IdentifyResult:
    model = service.model
    rule = service.rule(threshold)
    vectors, prepared = service.embed_probes(probe)
    search_key = model.identity
    with store.index.synced(store.sessions, key.gallery_id) as gallery:
        matrix = gallery.matrix(search_key)
        stale = gallery.stale_references(search_key)
        searched = 0 if matrix is None else len(matrix)
        ranked: list[Candidate] = []
        best_score: float | None = None
        if matrix is not None and searched:
            ranked, best_score = rank_subjects(model, matrix, vectors[0], rule.threshold, top_k)
    candidates = _with_subjects(store, key.gallery_id, ranked)
    result = IdentifyResult(candidates, rule, model, searched, stale, prepared[0])
    record_decision(
        store,
        key,
        Decision(
            action="identify",
            model=model,
            rule=rule,
            subject_id=candidates[0].subject.id if candidates else None,
            score=best_score,
            match=bool(candidates),
            details={
                "probe_sha256": prepared[0].sha256,
                "top_k": top_k,
                "references_searched": searched,
                "candidates": [
                    {"subject_id": str(c.subject.id), "score": c.score} for c in candidates
                ],
            },
        ),
    )
    return result


def rank_subjects(
    model: ServedModel, matrix: EmbeddingMatrix, probe: np.ndarray, threshold: float, top_k: int
) -> tuple[list[Candidate], float]:
    """The passing subjects, best first, and the best subject score (passing or not), by the
    model's reference scoring: the same score verify gives each subject."""
    scores = model.scores(probe, matrix.vectors)
    scoring = model.metadata.reference_scoring
    if scoring.rule == "max":
        return best_subjects(matrix, scores, threshold, top_k), float(scores.max())
    offsets = matrix.spreads(model.reference_spreads) if scoring.needs_reference_scores else None
    per_subject = mean_subject_scores(matrix, scores, offsets)
    ranked = best_subjects_by_score(matrix, per_subject, scores, threshold, top_k)
    return ranked, float(per_subject.max())


def _with_subjects(
    store: GalleryStore, gallery_id: uuid.UUID, ranked: list[Candidate]
) -> list[IdentifiedSubject]:
    """Attach subject rows; one deleted since the search is dropped, not reported."""
    if not ranked:
        return []
    with store.transaction() as session:
        rows = subject_rows.find_many(session, gallery_id, [c.subject_id for c in ranked])
    return [
        IdentifiedSubject(rows[c.subject_id], c.score, c.reference_id)
        for c in ranked
        if c.subject_id in rows
    ]
