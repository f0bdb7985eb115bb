"""From per-reference scores to the best subjects: exact top-k over distinct subjects."""

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
