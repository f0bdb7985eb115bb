"""The in-memory matrix and the top-k ranking against a naive computation."""

import uuid

import numpy as np
import pytest

from app.search.matrix import EmbeddingMatrix
from app.search.ranking import best_subjects

Rows = dict[uuid.UUID, tuple[uuid.UUID, np.ndarray]]


def naive(rows: Rows, query: np.ndarray, k: int, t: float) -> list[tuple[uuid.UUID, float]]:
    best: dict[uuid.UUID, float] = {}
    for subject, vector in rows.values():
        score = float(vector @ query)
        best[subject] = max(best.get(subject, -np.inf), score)
    ranked = sorted(best.items(), key=lambda item: -item[1])
    return [(s, v) for s, v in ranked if v >= t][:k]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ranking_equals_a_naive_scan_through_adds_and_removes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    subjects = [uuid.uuid4() for _ in range(40)]
    matrix = EmbeddingMatrix(8)
    rows: Rows = {}
    for step in range(600):
        if rows and rng.random() < 0.3:
            victim = list(rows)[int(rng.integers(len(rows)))]
            assert matrix.remove(victim)
            del rows[victim]
        else:
            reference = uuid.uuid4()
            subject = subjects[int(rng.integers(len(subjects)))]
            vector = rng.normal(size=8).astype(np.float32)
            matrix.add(reference, subject, vector)
            rows[reference] = (subject, vector)
        if step % 50 == 0:
            assert len(matrix) == len(rows)
            query = rng.normal(size=8).astype(np.float32)
            scores = matrix.vectors @ query
            for k, threshold in ((1, -np.inf), (5, -np.inf), (40, 0.5)):
                got = best_subjects(matrix, scores, threshold, k)
                want = naive(rows, query, k, threshold)
                assert [c.subject_id for c in got] == [s for s, _ in want]
                assert [c.score for c in got] == pytest.approx([v for _, v in want], abs=1e-5)
                for candidate in got:  # the reported reference is that subject's best
                    subject, vector = rows[candidate.reference_id]
                    assert subject == candidate.subject_id
                    assert float(vector @ query) == pytest.approx(candidate.score, abs=1e-5)


def test_removing_an_unknown_reference_and_adding_twice_change_nothing() -> None:
    matrix = EmbeddingMatrix(2)
    reference, subject = uuid.uuid4(), uuid.uuid4()
    matrix.add(reference, subject, np.array([1.0, 2.0], dtype=np.float32))
    matrix.add(reference, subject, np.array([9.0, 9.0], dtype=np.float32))
    assert len(matrix) == 1
    assert matrix.vectors.tolist() == [[1.0, 2.0]]
    assert not matrix.remove(uuid.uuid4())
    assert matrix.remove(reference)
    assert len(matrix) == 0
    assert best_subjects(matrix, np.empty(0, dtype=np.float32), 0.0, 3) == []
