"""Verification metrics on similarity scores (higher = more alike) and binary labels.

The decision rule everywhere is ``accept <=> score >= threshold``.
"""

from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike, NDArray
from sklearn.metrics import roc_auc_score, roc_curve

FloatArray = NDArray[np.float64]


def _split(scores: ArrayLike, labels: ArrayLike) -> tuple[FloatArray, FloatArray]:
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels).astype(bool)
    if s.shape != y.shape or s.ndim != 1:
        raise ValueError("scores and labels must be 1-D arrays of equal length")
    if y.all() or not y.any():
        raise ValueError("need at least one positive and one negative pair")
    return s[y], s[~y]


@dataclass(frozen=True)
class RocCurve:
    """False accept rate, true accept rate and the thresholds that produce them."""

    far: FloatArray
    tar: FloatArray
    thresholds: FloatArray


def roc(scores: ArrayLike, labels: ArrayLike) -> RocCurve:
    _split(scores, labels)
    far, tar, thresholds = roc_curve(
        np.asarray(labels).astype(int),
        np.asarray(scores, dtype=np.float64),
        drop_intermediate=False,
    )
    return RocCurve(far, tar, thresholds)


def roc_auc(scores: ArrayLike, labels: ArrayLike) -> float:
    _split(scores, labels)
    return float(
        roc_auc_score(np.asarray(labels).astype(int), np.asarray(scores, dtype=np.float64))
    )


@dataclass(frozen=True)
class EqualErrorRate:
    """EER and the threshold at which false accepts and false rejects balance."""

    rate: float
    threshold: float


def equal_error_rate(scores: ArrayLike, labels: ArrayLike) -> EqualErrorRate:
    """EER by linear interpolation between the two ROC points where FRR - FAR changes sign."""
    curve = roc(scores, labels)
    frr = 1.0 - curve.tar
    gap = frr - curve.far  # decreasing as the threshold falls
    crossing = int(np.argmax(gap <= 0))
    if crossing == 0:
        return EqualErrorRate(float(curve.far[0]), float(curve.thresholds[0]))
    before, after = crossing - 1, crossing
    weight = gap[before] / (gap[before] - gap[after])
    rate = curve.far[before] + weight * (curve.far[after] - curve.far[before])
    low, high = curve.thresholds[after], curve.thresholds[before]
    threshold = high + weight * (low - high) if np.isfinite(high) else low
    return EqualErrorRate(float(rate), float(threshold))


def threshold_at_far(scores: ArrayLike, labels: ArrayLike, far: float) -> float:
    """The lowest threshold whose false accept rate on these negatives is at most ``far``.

    Allows ``k = floor(far * n_negatives)`` negatives through: the threshold sits just above
    the (k+1)-th highest negative score, so ties never push FAR over the target.
    """
    _, negatives = _split(scores, labels)
    ordered = np.sort(negatives)[::-1]
    allowed = int(np.floor(far * ordered.size + 1e-9))
    if allowed >= ordered.size:
        return float(ordered[-1])
    return float(np.nextafter(ordered[allowed], np.inf))


def rates_at(scores: ArrayLike, labels: ArrayLike, threshold: float) -> tuple[float, float]:
    """``(FAR, TAR)`` of the rule ``score >= threshold``."""
    positives, negatives = _split(scores, labels)
    return float(np.mean(negatives >= threshold)), float(np.mean(positives >= threshold))


def tar_at_far(scores: ArrayLike, labels: ArrayLike, far: float) -> float:
    """True accept rate at the threshold :func:`threshold_at_far` picks."""
    return rates_at(scores, labels, threshold_at_far(scores, labels, far))[1]


def best_accuracy_threshold(scores: ArrayLike, labels: ArrayLike) -> tuple[float, float]:
    """``(threshold, accuracy)`` maximising accuracy; thresholds at midpoints between scores."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels).astype(bool)
    values = np.unique(s)
    candidates = np.concatenate(
        [[values[0] - 1.0], (values[:-1] + values[1:]) / 2, [values[-1] + 1.0]]
    )
    order = np.argsort(s)
    sorted_scores, sorted_labels = s[order], y[order]
    # Accepted = scores >= t. Count positives and negatives below each candidate in one pass.
    below = np.searchsorted(sorted_scores, candidates, side="left")
    positives_below = np.concatenate([[0], np.cumsum(sorted_labels)])[below]
    negatives_below = below - positives_below
    correct = negatives_below + (y.sum() - positives_below)
    best = int(np.argmax(correct))
    return float(candidates[best]), float(correct[best] / y.size)


def k_fold_accuracy(scores: ArrayLike, labels: ArrayLike, folds: ArrayLike) -> tuple[float, float]:
    """LFW-style accuracy: each fold is scored at the threshold best on the other folds.

    Returns ``(mean, standard deviation)`` over folds.
    """
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels).astype(bool)
    f = np.asarray(folds)
    accuracies = []
    for fold in np.unique(f):
        held_out = f == fold
        threshold, _ = best_accuracy_threshold(s[~held_out], y[~held_out])
        accuracies.append(float(np.mean((s[held_out] >= threshold) == y[held_out])))
    return float(np.mean(accuracies)), float(np.std(accuracies))
