"""One score for a probe against a subject's k enrolled references.

``max``: the highest of the k scores (one good reference is enough). ``mean``: their mean.

``mean_minus_spread``: a per-subject adaptation that needs nothing but the enrolment. The
mean score over the references, minus the subject's *spread*: how alike its own references
are to one another (the mean score over the k(k-1)/2 reference pairs). A writer whose
signatures vary a lot gets more tolerance, a very consistent one less, which one global
threshold cannot do on its own. The spread of few references is noisy, so it is shrunk
towards ``prior_spread`` (the mean genuine-pair score of the calibration identities) with
the weight of ``prior_weight`` pairs; a subject with one reference gets the prior itself.

The service (verify and identify), the evaluation and the calibration all score through
:func:`subject_scores`, so the thresholds are calibrated on exactly the scores the service
decides on.
"""

from typing import Literal

import numpy as np
from numpy.typing import NDArray
from pydantic import BaseModel, ConfigDict, Field, model_validator

ScoringRule = Literal["max", "mean", "mean_minus_spread"]
SCORING_RULES: tuple[ScoringRule, ...] = ("max", "mean", "mean_minus_spread")


class ReferenceScoring(BaseModel):
    """How a checkpoint's per-reference scores become a subject's score."""

    model_config = ConfigDict(frozen=True)

    rule: ScoringRule = "max"
    prior_spread: float | None = Field(
        default=None,
        description="mean score between two genuine images of one identity (calibration "
        "identities); what the spread of a subject is shrunk towards",
    )
    prior_weight: float = Field(
        default=1.0, ge=0, description="how many reference pairs the prior counts as"
    )

    @model_validator(mode="after")
    def _prior_when_needed(self) -> "ReferenceScoring":
        if self.rule == "mean_minus_spread" and self.prior_spread is None:
            raise ValueError("rule 'mean_minus_spread' needs prior_spread")
        if self.prior_spread is not None and not np.isfinite(self.prior_spread):
            raise ValueError("prior_spread must be finite")
        return self

    @property
    def needs_reference_scores(self) -> bool:
        return self.rule == "mean_minus_spread"


BEST_REFERENCE = ReferenceScoring()  # the rule of every checkpoint that names none


def shrunk_spread(
    pair_score_sums: NDArray[np.floating], references: int, scoring: ReferenceScoring
) -> NDArray[np.float64]:
    """Subjects' shrunk spreads from the sums of their reference-pair scores, for subjects
    of ``references`` references each (one formula for one subject or a whole gallery)."""
    assert scoring.prior_spread is not None, "validated by ReferenceScoring"
    pairs = references * (references - 1) // 2
    weight = scoring.prior_weight
    sums = np.asarray(pair_score_sums, dtype=np.float64)
    if pairs + weight == 0:
        return np.full(sums.shape, scoring.prior_spread)
    shrunk: NDArray[np.float64] = (sums + weight * scoring.prior_spread) / (pairs + weight)
    return shrunk


def subject_spread(reference_scores: NDArray[np.floating], scoring: ReferenceScoring) -> float:
    """The shrunk spread of one subject from its ``(k, k)`` reference-vs-reference scores."""
    k = reference_scores.shape[0]
    observed = reference_scores[np.triu_indices(k, 1)].sum() if k > 1 else 0.0
    return float(shrunk_spread(np.asarray(observed), k, scoring))


def subject_scores(
    scores: NDArray[np.floating],
    scoring: ReferenceScoring,
    reference_scores: NDArray[np.floating] | None = None,
) -> NDArray[np.float64]:
    """``(..., k)`` scores of probes against one subject's k references -> ``(...)``.

    ``reference_scores`` (``(k, k)``, the references against each other) is needed by
    ``mean_minus_spread`` only.
    """
    spread = None
    if scoring.needs_reference_scores:
        if reference_scores is None:
            raise ValueError("mean_minus_spread needs the references' scores against each other")
        spread = subject_spread(np.asarray(reference_scores), scoring)
    return scores_given_spread(scores, scoring, spread)


def scores_given_spread(
    scores: NDArray[np.floating], scoring: ReferenceScoring, spread: float | None
) -> NDArray[np.float64]:
    """:func:`subject_scores` for a caller that has the subject's shrunk spread already
    (``None`` unless the rule needs one): the service computes spreads in batches."""
    if scores.shape[-1] == 0:
        raise ValueError("a subject needs at least one reference")
    values: NDArray[np.float64] = np.asarray(scores, dtype=np.float64)
    if scoring.rule == "max":
        best: NDArray[np.float64] = values.max(axis=-1)
        return best
    mean: NDArray[np.float64] = values.mean(axis=-1)
    if scoring.rule == "mean":
        return mean
    assert spread is not None, "mean_minus_spread scores need the subject's spread"
    return mean - spread


def mean_genuine_pair_score(
    scores: NDArray[np.floating], identity_ids: NDArray[np.integer], is_forgery: NDArray[np.bool_]
) -> float:
    """Mean score over pairs of genuine images of one identity, identities weighted equally
    (the prior spread, from an ``(N, N)`` score matrix of calibration images)."""
    means = []
    for identity in np.unique(identity_ids):
        genuine = np.flatnonzero((identity_ids == identity) & ~is_forgery)
        if genuine.size < 2:
            continue
        block = scores[np.ix_(genuine, genuine)]
        means.append(float(block[np.triu_indices(genuine.size, 1)].mean()))
    if not means:
        raise ValueError("no identity has two genuine images to estimate the prior spread")
    return float(np.mean(means))
