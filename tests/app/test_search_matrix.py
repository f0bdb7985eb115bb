"""The in-memory matrix and the top-k ranking against a naive computation."""

import uuid

import numpy as np
import pytest

from app.search.matrix import EmbeddingMatrix
from app.search.ranking import best_subjects, best_subjects_by_score, mean_subject_scores

Rows = dict[uuid.UUID, tuple[uuid.UUID, np.ndarray]]


def naive(rows: Rows, query: np.ndarray, k: int, t: float) -> list[tuple[uuid.UUID, float]]:
    best: dict[uuid.UUID, float] = {}
    for subject, vector in rows.values():
        score = float(vector @ query)
        best[subject] = max(best.get(subject, -np.inf), score)
    ranked = sorted(best.items(), key=lambda item: -item[1])
    return [(s, v) for s, v in ranked if v >= t][:k]


def random_change(
    matrix: EmbeddingMatrix, rows: Rows, subjects: list[uuid.UUID], rng: np.random.Generator
) -> None:
    """Remove a random row (3 times in 10) or add one for a random subject, to both the
    matrix and the plain ``rows`` it is checked against."""
    if rows and rng.random() < 0.3:
        victim = list(rows)[int(rng.integers(len(rows)))]
        assert matrix.remove(victim)
        del rows[victim]
    else:
        reference, subject = uuid.uuid4(), subjects[int(rng.integers(len(subjects)))]
        vector = rng.normal(size=matrix.dimension).astype(np.float32)
        matrix.add(reference, subject, vector)
        rows[reference] = (subject, vector)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_ranking_equals_a_naive_scan_through_adds_and_removes(seed: int) -> None:
    rng = np.random.default_rng(seed)
    subjects = [uuid.uuid4() for _ in range(40)]
    matrix = EmbeddingMatrix(8)
    rows: Rows = {}
    for step in range(600):
        random_change(matrix, rows, subjects, rng)
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


def naive_mean_minus_spread(rows: Rows, query: np.ndarray) -> dict[uuid.UUID, float]:
    """Per subject: mean dot score of the probe less the mean dot score among its rows
    (its own value when it has one row), straight from the row list."""
    by_subject: dict[uuid.UUID, list[np.ndarray]] = {}
    for subject, vector in rows.values():
        by_subject.setdefault(subject, []).append(vector)
    out = {}
    for subject, vectors in by_subject.items():
        stack = np.stack(vectors).astype(np.float64)
        among = stack @ stack.T
        k = len(vectors)
        spread = among[np.triu_indices(k, 1)].mean() if k > 1 else 0.0
        out[subject] = float((stack @ query).mean() - spread)
    return out


def dot_spreads(subjects: np.ndarray) -> np.ndarray:
    """``(S, k, D) -> (S,)``: mean dot score among each subject's references (0 for one)."""
    k = subjects.shape[1]
    among = np.einsum("skd,sjd->skj", subjects.astype(np.float64), subjects.astype(np.float64))
    upper = np.triu_indices(k, 1)
    return among[:, upper[0], upper[1]].mean(axis=1) if k > 1 else np.zeros(len(subjects))


@pytest.mark.parametrize("seed", [0, 1])
def test_adapted_subject_scores_equal_a_naive_scan_and_spreads_are_cached(seed: int) -> None:
    rng = np.random.default_rng(seed)
    subjects = [uuid.uuid4() for _ in range(12)]
    matrix = EmbeddingMatrix(4)
    rows: Rows = {}
    computed: list[int] = []  # one entry per subject whose spread was computed

    def counted(subjects: np.ndarray) -> np.ndarray:
        computed.extend([subjects.shape[1]] * subjects.shape[0])
        return dot_spreads(subjects)

    for step in range(200):
        random_change(matrix, rows, subjects, rng)
        if step % 20 != 19 or not rows:
            continue
        query = rng.normal(size=4)
        scores = matrix.vectors.astype(np.float64) @ query
        per_code = mean_subject_scores(matrix, scores, matrix.spreads(counted))
        expected = naive_mean_minus_spread(rows, query)
        got = {matrix.subject(c): per_code[c] for c in range(matrix.subject_count)}
        live = {s: v for s, v in got.items() if np.isfinite(v)}
        assert live.keys() == expected.keys()
        for subject, value in expected.items():
            assert live[subject] == pytest.approx(value, abs=1e-5)
        ranked = best_subjects_by_score(matrix, per_code, scores, -np.inf, top_k=3)
        assert [c.subject_id for c in ranked] == sorted(expected, key=lambda s: -expected[s])[:3]
        for candidate in ranked:  # its best reference is one of its own rows
            assert rows[candidate.reference_id][0] == candidate.subject_id
        # Asking again computes nothing: each subject's spread is cached until it changes.
        before = len(computed)
        matrix.spreads(counted)
        assert len(computed) == before

    # One enrolment recomputes that one subject's spread only.
    subject = next(iter(rows.values()))[0]
    matrix.spreads(counted)
    before = len(computed)
    matrix.add(uuid.uuid4(), subject, rng.normal(size=4).astype(np.float32))
    matrix.spreads(counted)
    assert len(computed) == before + 1
