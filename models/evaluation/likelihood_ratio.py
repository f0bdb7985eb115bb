"""Scores as evidence: calibrated log-likelihood ratios and their cost, Cllr.

A forensic examiner does not report "match" but how much more probable the observation is
if the questioned signature is genuine than if it is forged: the likelihood ratio. A
score becomes one through logistic calibration (Brümmer and du Preez, "Application-
independent evaluation of speaker detection", 2006): ``ln LR = slope * score + offset``,
fitted with both classes weighted equally so the prior of the calibration trials does not
leak into the ratio. ``Cllr`` (in bits) is the cost of the reported ratios over all
priors: 0 for perfect evidence, 1 for a system that always says LR = 1. ``min Cllr`` is the
cost after the best monotonic recalibration of the same scores (pool-adjacent-violators),
so ``Cllr - min Cllr`` is what the calibration itself loses.
"""

import math

import numpy as np
from numpy.typing import ArrayLike, NDArray
from pydantic import BaseModel, Field
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

# Posteriors from the isotonic fit are clipped this far from 0 and 1, so a bin holding
# only one class gives a large but finite ratio (the usual convention for min Cllr).
_POSTERIOR_EPS = 1e-6


class LikelihoodRatioCalibration(BaseModel):
    """``log10 LR = (slope * score + offset) / ln 10``, fitted on labelled trials.

    The ratio is bounded by the trial counts it was fitted on: ``n`` trials of the rarer
    class cannot support odds beyond about ``n`` to 1, however far a score lies outside them.
    """

    slope: float
    offset: float
    negatives: str = Field(description="what the non-target trials were (e.g. skilled forgeries)")
    references: int = Field(default=1, description="enrolled references per trial (best score)")
    target_trials: int
    non_target_trials: int
    cllr: float = Field(description="Cllr (bits) of these ratios on the trials they were fitted on")
    min_cllr: float = Field(description="Cllr after the best monotonic recalibration (bits)")

    @property
    def bound(self) -> float:
        """Largest ``|log10 LR|`` reported: log10 of the rarer class's trial count."""
        return math.log10(max(2, min(self.target_trials, self.non_target_trials)))

    def log10_lr(self, score: float) -> float:
        value = (self.slope * score + self.offset) / math.log(10.0)
        return max(-self.bound, min(self.bound, value))


def fit_likelihood_ratio(
    scores: ArrayLike, labels: ArrayLike, negatives: str, references: int = 1
) -> LikelihoodRatioCalibration:
    """Logistic calibration of ``scores`` (higher = more alike); ``labels`` 1 = same source.

    Raises ``ValueError`` unless both classes are present.
    """
    x, y = _checked(scores, labels)
    # Balanced class weights: the fitted intercept is then the log-LR offset, not the
    # log-odds of this trial set's target share. C is large: two parameters, many trials.
    regression = LogisticRegression(C=1e6, class_weight="balanced", max_iter=1000)
    regression.fit(x[:, None], y)
    slope, offset = float(regression.coef_[0, 0]), float(regression.intercept_[0])
    natural = slope * x + offset
    return LikelihoodRatioCalibration(
        slope=slope,
        offset=offset,
        negatives=negatives,
        references=references,
        target_trials=int(y.sum()),
        non_target_trials=int((~y.astype(bool)).sum()),
        cllr=cllr(natural, y),
        min_cllr=min_cllr(x, y),
    )


def cllr(natural_llr: ArrayLike, labels: ArrayLike) -> float:
    """Cllr in bits of natural-log likelihood ratios for trials labelled 1 (target) / 0."""
    llr, y = _checked(natural_llr, labels)
    target = llr[y == 1]
    non_target = llr[y == 0]
    # log2(1 + e^-x) computed without overflow: logaddexp(0, -x) / ln 2.
    miss = float(np.mean(np.logaddexp(0.0, -target))) / math.log(2.0)
    false_alarm = float(np.mean(np.logaddexp(0.0, non_target))) / math.log(2.0)
    return 0.5 * (miss + false_alarm)


def min_cllr(scores: ArrayLike, labels: ArrayLike) -> float:
    """Cllr of the optimal monotonic mapping of ``scores`` to likelihood ratios."""
    x, y = _checked(scores, labels)
    posterior = IsotonicRegression(out_of_bounds="clip").fit_transform(x, y.astype(np.float64))
    posterior = np.clip(posterior, _POSTERIOR_EPS, 1.0 - _POSTERIOR_EPS)
    targets, non_targets = int(y.sum()), int((y == 0).sum())
    # Remove the trial set's prior from the posterior odds: LR = odds / (targets / non).
    natural = np.log(posterior / (1.0 - posterior)) - math.log(targets / non_targets)
    return cllr(natural, y)


def _checked(scores: ArrayLike, labels: ArrayLike) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    x = np.asarray(scores, dtype=np.float64).ravel()
    y = np.asarray(labels).astype(np.int64).ravel()
    if x.shape != y.shape:
        raise ValueError("scores and labels must have the same length")
    if not ((y == 1).any() and (y == 0).any()):
        raise ValueError("likelihood-ratio calibration needs target and non-target trials")
    return x, y
