"""Verification against k enrolled references: trial counts, aggregation, error rates."""

import numpy as np
import pytest
import torch

from models.evaluation.reference_trials import (
    ReferenceProtocol,
    reference_report,
    score_reference_trials,
)
from models.reference_scoring import ReferenceScoring
from models.twin.comparators import EuclideanComparator

# Two identities on a line: genuine images near 0 and near 100, each with two forgeries
# between the identities (closer to their target than the other identity is).
POSITIONS = [0.0, 1.0, 2.0, 3.0, 10.0, 12.0, 100.0, 101.0, 102.0, 103.0, 90.0, 88.0]
IDENTITIES = [0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1]
FORGED = [False] * 4 + [True] * 2 + [False] * 4 + [True] * 2


def trials(protocol: ReferenceProtocol):  # type: ignore[no-untyped-def]
    return score_reference_trials(
        torch.tensor(POSITIONS)[:, None],
        EuclideanComparator(),
        torch.tensor(IDENTITIES),
        torch.tensor(FORGED),
        protocol,
    )


def test_trial_counts_follow_the_protocol() -> None:
    scored = trials(ReferenceProtocol(references=3, draws=5))
    kinds, counts = np.unique(scored.kinds, return_counts=True)
    # per identity and draw: 4 - 3 questioned genuine, 2 forgeries, 4 genuine of the other
    assert dict(zip(kinds.tolist(), counts.tolist(), strict=True)) == {
        "genuine": 2 * 5 * 1,
        "skilled": 2 * 5 * 2,
        "random": 2 * 5 * 4,
    }
    assert (scored.labels == (scored.kinds == "genuine")).all()


def test_max_takes_the_closest_reference_and_mean_the_average() -> None:
    best = trials(ReferenceProtocol(3, ReferenceScoring(rule="max"), draws=3))
    average = trials(ReferenceProtocol(3, ReferenceScoring(rule="mean"), draws=3))
    # with all 4 genuine images spread 1 apart, the questioned one is 1 from its nearest
    # reference and 2 from the references on average (1, 2, 3 or 1, 1, 2 ... over draws)
    assert (best.scores[best.kinds == "genuine"] == -1.0).all()
    assert (average.scores[average.kinds == "genuine"] < -1.0).all()
    skilled = best.scores[best.kinds == "skilled"]
    assert skilled.max() <= -7.0  # 10 is at least 7 from {0..3}; 88 at least 12 from 100s


def test_identities_without_enough_genuine_images_are_skipped() -> None:
    with pytest.raises(ValueError, match="more than 4 genuine"):
        trials(ReferenceProtocol(references=4))


def test_report_rates_and_skips_unsupported_counts() -> None:
    report = reference_report(
        torch.tensor(POSITIONS)[:, None],
        EuclideanComparator(),
        torch.tensor(IDENTITIES),
        torch.tensor(FORGED),
        counts=(1, 3, 5),
    )
    assert [entry.references for entry in report] == [1, 3]
    for entry in report:
        # every genuine image is closer to its own references than any forgery or stranger
        assert entry.eer == {"random": 0.0, "skilled": 0.0}
        assert entry.frr_at_far["skilled"]["1e-03"] == 0.0


def test_mean_minus_spread_trials_score_by_the_subject_rule() -> None:
    scoring = ReferenceScoring(rule="mean_minus_spread", prior_spread=-1.5, prior_weight=0)
    adapted = trials(ReferenceProtocol(3, scoring, draws=3))
    average = trials(ReferenceProtocol(3, ReferenceScoring(rule="mean"), draws=3))
    # same draws (same seed): each trial moves by its reference set's own spread, and the
    # references of identity 0 ({0..3} less one) are never more than 3 apart
    shift = adapted.scores - average.scores
    assert (shift >= 1.0).all()
    assert (shift <= 3.0).all()
    assert adapted.kinds.tolist() == average.kinds.tolist()
