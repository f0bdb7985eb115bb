import math

import numpy as np
import pytest

from models.evaluation.likelihood_ratio import cllr, fit_likelihood_ratio, min_cllr


def _gaussian_trials(separation: float, count: int = 20_000) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    targets = rng.normal(separation / 2, 1.0, count)
    non_targets = rng.normal(-separation / 2, 1.0, 3 * count)
    labels = np.r_[np.ones(count), np.zeros(3 * count)]
    return np.r_[targets, non_targets], labels


def test_an_uninformative_system_costs_exactly_one_bit() -> None:
    labels = np.array([1, 0, 1, 0, 0])
    assert cllr(np.zeros(5), labels) == pytest.approx(1.0)


def test_confidently_wrong_ratios_cost_more_than_saying_nothing() -> None:
    labels = np.array([1, 1, 0, 0])
    assert cllr(np.array([-5.0, -5.0, 5.0, 5.0]), labels) > 5.0


def test_logistic_calibration_recovers_the_true_likelihood_ratio() -> None:
    # Unit-variance Gaussians d apart: ln LR(s) = d * s exactly, whatever the class shares.
    scores, labels = _gaussian_trials(separation=2.0)
    fitted = fit_likelihood_ratio(scores, labels, negatives="synthetic")
    assert fitted.slope == pytest.approx(2.0, abs=0.05)
    assert fitted.offset == pytest.approx(0.0, abs=0.05)
    assert fitted.log10_lr(1.0) == pytest.approx(2.0 / math.log(10), abs=0.03)
    assert (fitted.target_trials, fitted.non_target_trials) == (20_000, 60_000)


def test_min_cllr_bounds_cllr_and_both_fall_as_the_classes_separate() -> None:
    costs = []
    for separation in (1.0, 2.0, 4.0):
        scores, labels = _gaussian_trials(separation)
        fitted = fit_likelihood_ratio(scores, labels, negatives="synthetic")
        assert fitted.min_cllr <= fitted.cllr + 1e-3
        assert fitted.cllr - fitted.min_cllr < 0.02  # the true model is logistic-calibrated
        costs.append(fitted.cllr)
    assert costs[0] > costs[1] > costs[2] > 0.0


def test_min_cllr_ignores_a_monotonic_distortion_of_the_scores() -> None:
    scores, labels = _gaussian_trials(separation=2.0)
    assert min_cllr(np.exp(scores), labels) == pytest.approx(min_cllr(scores, labels), abs=1e-9)
    # ...while the logistic fit on the distorted scores loses calibration.
    assert (
        fit_likelihood_ratio(np.exp(scores), labels, "synthetic").cllr
        > min_cllr(scores, labels) + 0.01
    )


def test_one_class_alone_cannot_be_calibrated() -> None:
    with pytest.raises(ValueError, match="target and non-target"):
        fit_likelihood_ratio(np.array([0.1, 0.2]), np.array([1, 1]), negatives="skilled")
