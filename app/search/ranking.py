"""From per-reference scores to the best subjects: exact top-k over distinct subjects.

A model whose subjects score by their best reference (``max``) takes the fast path; one
that scores by the mean over references, less a per-subject spread, groups the rows by
subject first. Either way a subject's score is the one verify gives it.
"""

import uuid
from dataclasses import dataclass

import numpy as np

from app.search.matrix import EmbeddingMatrix


@dataclass(frozen=True)
class Candidate:
    subject_id: uuid.UUID
    score: float
    reference_id: uuid.UUID  # the subject's best-scoring reference


def best_subjects(
    matrix: EmbeddingMatrix, scores: np.ndarray, threshold: float, top_k: int
) -> list[Candidate]:
    """The ``top_k`` subjects whose best reference scores at least ``threshold``, best first.

    A subject's score is its best reference's score (the same rule verify uses). Only the
    ``top_k * R`` best rows can hold the top ``k`` distinct subjects when no subject has more
    than ``R`` rows, so the sort touches that many rows, not the whole gallery.
    """
    passing = np.flatnonzero(scores >= threshold)
    if passing.size == 0:
        return []
    needed = top_k * max(1, matrix.most_references_per_subject)
    if passing.size > needed:
        keep = np.argpartition(-scores[passing], needed - 1)[:needed]
        passing = passing[keep]
    # Stable sort on (score descending, row): equal scores come out in a fixed order.
    order = passing[np.lexsort((passing, -scores[passing]))]
    codes = matrix.subject_codes
    seen: set[int] = set()
    candidates: list[Candidate] = []
    for row in order:
        code = int(codes[row])
        if code in seen:
            continue
        seen.add(code)
        candidates.append(
            Candidate(matrix.subject(code), float(scores[row]), matrix.reference_id(int(row)))
        )
        if len(candidates) == top_k:
            break
    return candidates


def mean_subject_scores(
    matrix: EmbeddingMatrix, scores: np.ndarray, offsets: np.ndarray | None
) -> np.ndarray:
    """``(subject_count,)`` mean score over each subject's rows, less its offset (the
    subject's spread); ``-inf`` for a code with no rows left."""
    codes = matrix.subject_codes
    sums = np.bincount(codes, weights=scores, minlength=matrix.subject_count)
    counts = np.bincount(codes, minlength=matrix.subject_count)
    out = np.full(matrix.subject_count, -np.inf)
    live = counts > 0
    out[live] = sums[live] / counts[live]
    if offsets is not None:
        out[live] -= offsets[live]
    return out


def best_subjects_by_score(
    matrix: EmbeddingMatrix,
    subject_scores: np.ndarray,
    scores: np.ndarray,
    threshold: float,
    top_k: int,
) -> list[Candidate]:
    """The ``top_k`` subjects whose ``subject_scores`` (one per code) pass ``threshold``,
    best first (ties by code: enrolment order); each with its best-scoring reference."""
    passing = np.flatnonzero(subject_scores >= threshold)
    if passing.size > top_k:  # keep what ties or beats the k-th best before sorting
        kth = np.partition(-subject_scores[passing], top_k - 1)[top_k - 1]
        passing = passing[-subject_scores[passing] <= kth]
    order = passing[np.lexsort((passing, -subject_scores[passing]))][:top_k]
    candidates = []
    for code in order:
        rows = matrix.subject_rows(int(code))
        best_row = rows[int(np.argmax(scores[rows]))]
        candidates.append(
            Candidate(
                matrix.subject(int(code)),
                float(subject_scores[code]),
                matrix.reference_id(best_row),
            )
        )
    return candidates
