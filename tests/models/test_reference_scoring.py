"""Scoring a probe against a subject's references: known answers for each rule."""

import numpy as np
import pytest
from pydantic import ValidationError

from models.reference_scoring import (
    ReferenceScoring,
    mean_genuine_pair_score,
    subject_scores,
    subject_spread,
)

# One subject's references on a line at 0, 1 and 3, a probe at 2; score = -distance.
REFERENCES = np.array([0.0, 1.0, 3.0])
PROBE_SCORES = -np.abs(2.0 - REFERENCES)  # -2, -1, -1
AMONG = -np.abs(REFERENCES[:, None] - REFERENCES[None, :])  # pairs: -1, -3, -2
ADAPTED = ReferenceScoring(rule="mean_minus_spread", prior_spread=-1.5, prior_weight=1.0)


def test_max_and_mean() -> None:
    assert subject_scores(PROBE_SCORES, ReferenceScoring(rule="max")) == -1.0
    assert subject_scores(PROBE_SCORES, ReferenceScoring(rule="mean")) == pytest.approx(-4 / 3)


def test_spread_is_shrunk_towards_the_prior_by_its_weight() -> None:
    # (-1 - 3 - 2 + 1 x -1.5) / (3 pairs + 1)
    assert subject_spread(AMONG, ADAPTED) == pytest.approx(-7.5 / 4)
    unshrunk = ADAPTED.model_copy(update={"prior_weight": 0.0})
    assert subject_spread(AMONG, unshrunk) == pytest.approx(-2.0)


def test_mean_minus_spread_known_answer() -> None:
    assert subject_scores(PROBE_SCORES, ADAPTED, AMONG) == pytest.approx(-4 / 3 + 7.5 / 4)


def test_one_reference_gets_the_prior_spread() -> None:
    single = np.array([[0.0]])
    assert subject_spread(single, ADAPTED) == -1.5
    assert subject_scores(np.array([-2.0]), ADAPTED, single) == pytest.approx(-0.5)
    no_weight = ADAPTED.model_copy(update={"prior_weight": 0.0})
    assert subject_spread(single, no_weight) == -1.5


def test_a_writer_who_varies_more_gets_more_tolerance() -> None:
    """The same probe scores, two subjects: the one whose references lie further apart is
    the likelier to have written a probe that far from them."""
    tight = -np.abs(np.array([0.0, 0.5, 1.0])[:, None] - np.array([0.0, 0.5, 1.0])[None, :])
    loose = 3 * tight
    tight_score = subject_scores(PROBE_SCORES, ADAPTED, tight)
    loose_score = subject_scores(PROBE_SCORES, ADAPTED, loose)
    assert loose_score > tight_score


def test_rows_of_probes_score_independently() -> None:
    rows = np.stack([PROBE_SCORES, PROBE_SCORES - 1.0])
    scores = subject_scores(rows, ADAPTED, AMONG)
    assert scores.shape == (2,)
    assert scores[0] - scores[1] == pytest.approx(1.0)


def test_the_adapted_rule_needs_its_inputs() -> None:
    with pytest.raises(ValidationError, match="prior_spread"):
        ReferenceScoring(rule="mean_minus_spread")
    with pytest.raises(ValidationError, match="finite"):
        ReferenceScoring(rule="mean_minus_spread", prior_spread=float("nan"))
    with pytest.raises(ValueError, match="against each other"):
        subject_scores(PROBE_SCORES, ADAPTED)
    with pytest.raises(ValueError, match="at least one reference"):
        subject_scores(np.empty((2, 0)), ADAPTED, np.empty((0, 0)))


def test_prior_is_the_mean_genuine_pair_score_per_identity() -> None:
    positions = np.array([0.0, 1.0, 3.0, 10.0, 14.0, 50.0])
    scores = -np.abs(positions[:, None] - positions[None, :])
    ids = np.array([0, 0, 0, 1, 1, 1])
    forged = np.array([False, False, False, False, False, True])  # 50 is a forgery
    # identity 0: pairs -1, -3, -2 -> -2; identity 1: one genuine pair -4
    assert mean_genuine_pair_score(scores, ids, forged) == pytest.approx(-3.0)
    with pytest.raises(ValueError, match="two genuine"):
        mean_genuine_pair_score(scores[:1, :1], ids[:1], forged[:1])
