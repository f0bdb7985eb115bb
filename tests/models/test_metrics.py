"""Metrics against values computed by hand on small fixed examples."""

import numpy as np
import pytest

from models.evaluation.calibration import calibrate, operating_point_key
from models.evaluation.metrics import (
    best_accuracy_threshold,
    equal_error_rate,
    k_fold_accuracy,
    rates_at,
    roc_auc,
    tar_at_far,
    threshold_at_far,
)
from models.evaluation.summary import summarise

POSITIVES = [0.9, 0.8, 0.7, 0.4]
NEGATIVES = [0.6, 0.3, 0.2, 0.1]
SCORES = np.array(POSITIVES + NEGATIVES)
LABELS = np.array([1, 1, 1, 1, 0, 0, 0, 0])


def test_eer_on_fixed_example() -> None:
    # threshold in (0.4, 0.6]: one false reject (0.4) and one false accept (0.6) of four each
    eer = equal_error_rate(SCORES, LABELS)
    assert eer.rate == pytest.approx(0.25)
    far, tar = rates_at(SCORES, LABELS, eer.threshold)
    assert far == pytest.approx(0.25)
    assert 1 - tar == pytest.approx(0.25)


def test_eer_interpolates_between_roc_points() -> None:
    # positives .8 .6 .3, negatives .7 .2: FRR goes 2/3 -> 1/3 while FAR stays 1/2
    eer = equal_error_rate([0.8, 0.6, 0.3, 0.7, 0.2], [1, 1, 1, 0, 0])
    assert eer.rate == pytest.approx(0.5)


def test_eer_is_zero_for_separable_scores() -> None:
    assert equal_error_rate([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]).rate == pytest.approx(0.0)


def test_tar_at_far_on_fixed_example() -> None:
    assert tar_at_far(SCORES, LABELS, 0.25) == pytest.approx(1.0)  # one negative (0.6) let through
    assert tar_at_far(SCORES, LABELS, 0.1) == pytest.approx(0.75)  # none: threshold above 0.6
    assert threshold_at_far(SCORES, LABELS, 0.1) > 0.6


def test_threshold_at_far_never_exceeds_the_target_even_with_ties() -> None:
    rng = np.random.default_rng(0)
    negatives = np.round(rng.normal(0, 1, 5000), 1)  # heavy ties
    positives = rng.normal(2, 1, 500)
    scores = np.concatenate([positives, negatives])
    labels = np.concatenate([np.ones(500), np.zeros(5000)])
    for far in (1e-1, 1e-2, 1e-3):
        achieved, _ = rates_at(scores, labels, threshold_at_far(scores, labels, far))
        assert achieved <= far


def test_auc_counts_ordered_pairs() -> None:
    # 16 positive-negative pairs; only (0.4 vs 0.6) is misordered
    assert roc_auc(SCORES, LABELS) == pytest.approx(15 / 16)


def test_best_accuracy_threshold() -> None:
    threshold, accuracy = best_accuracy_threshold(SCORES, LABELS)
    assert accuracy == pytest.approx(7 / 8)
    assert 0.6 < threshold <= 0.7 or 0.3 < threshold <= 0.4


def test_k_fold_accuracy_uses_thresholds_from_other_folds() -> None:
    # fold a is separable at 0.5; fold b's scores are shifted, so a threshold learnt on a
    # misclassifies b's positives, and vice versa: cross-fold accuracy is 0.5 on each.
    scores = np.array([0.9, 0.1, 0.4, 0.3, 1.9, 1.1, 1.4, 1.3]) - np.array([0, 0, 0, 0, 0, 0, 0, 0])
    labels = np.array([1, 0, 1, 0, 1, 0, 1, 0])
    folds = np.array(["fold1"] * 4 + ["fold2"] * 4)
    mean, _ = k_fold_accuracy(scores, labels, folds)
    assert mean == pytest.approx(0.5)


def test_calibration_points() -> None:
    rng = np.random.default_rng(1)
    scores = np.concatenate([rng.normal(1, 0.5, 2000), rng.normal(-1, 0.5, 20000)])
    labels = np.concatenate([np.ones(2000), np.zeros(20000)])
    points = calibrate(scores, labels)
    assert set(points) == {"eer", "far_5e-02", "far_1e-02", "far_1e-03", "far_1e-04"}
    assert points[operating_point_key(1e-3)].far <= 1e-3
    assert points["far_5e-02"].far <= 5e-2
    assert points["eer"].threshold >= points["far_5e-02"].threshold  # EER ~0 here: stricter
    assert points["far_1e-04"].reliable
    assert points["far_1e-04"].negatives == 20000
    assert points["far_1e-04"].threshold >= points["far_1e-02"].threshold >= points["eer"].threshold
    assert calibrate(SCORES, LABELS)["far_1e-03"].reliable is False  # 4 negatives cannot show 1e-3


def test_summary_reports_eer_per_negative_kind_and_folds() -> None:
    kinds = np.array(["genuine"] * 4 + ["skilled", "skilled", "random", "random"])
    summary = summarise(SCORES, LABELS, kinds)
    assert summary.eer_by_negative_kind["random"] == pytest.approx(0.0)
    assert summary.eer_by_negative_kind["skilled"] > 0
    folded = summarise(SCORES, LABELS, np.array(["fold1", "fold2"] * 4))
    assert folded.folds == 2
    assert folded.kfold_accuracy is not None
