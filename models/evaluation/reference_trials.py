"""Verification against k enrolled references: the protocol a deployed subject lives by.

For every identity and every draw, ``k`` of its genuine images become the enrolled
references. Each remaining genuine image is a positive trial; each skilled forgery of the
identity is a ``skilled`` negative; genuine images of the other identities are ``random``
negatives. A trial's score is the questioned image's scores against the ``k`` references
turned into one by the checkpoint's :class:`ReferenceScoring` (the service's own rule), and
every identity shares one global threshold, exactly as in the service.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray
from pydantic import BaseModel

from models.evaluation.all_pairs import ScoredPairs
from models.evaluation.metrics import equal_error_rate, rates_at, threshold_at_far
from models.evaluation.summary import REPORTED_FARS
from models.reference_scoring import (
    BEST_REFERENCE,
    ReferenceScoring,
    ScoringRule,
    mean_genuine_pair_score,
    subject_scores,
)
from models.twin import Comparator

REFERENCE_COUNTS = (1, 3, 5)


@dataclass(frozen=True)
class ReferenceProtocol:
    """``references`` enrolled images per identity, drawn ``draws`` times with ``seed``."""

    references: int
    scoring: ReferenceScoring = BEST_REFERENCE
    draws: int = 10
    seed: int = 0


def scoring_for(
    rule: ScoringRule | None,
    shipped: ReferenceScoring,
    embeddings: torch.Tensor,
    comparator: Comparator,
    identity_ids: torch.Tensor,
    is_forgery: torch.Tensor,
) -> tuple[ReferenceScoring, bool]:
    """The checkpoint's own scoring, or ``rule`` instead. A rule that needs a prior spread the
    checkpoint does not carry estimates it on these identities (one number; say so). Returns
    the scoring and whether its prior was estimated here."""
    if rule is None or rule == shipped.rule:
        return shipped, False
    if rule != "mean_minus_spread":
        return ReferenceScoring(rule=rule), False
    if shipped.prior_spread is not None:
        return ReferenceScoring(rule=rule, prior_spread=shipped.prior_spread), False
    with torch.inference_mode():
        scores = comparator.matrix(embeddings, embeddings).cpu().double().numpy()
    ids = identity_ids.cpu().numpy().astype(np.int64)
    prior = mean_genuine_pair_score(scores, ids, is_forgery.cpu().numpy().astype(bool))
    return ReferenceScoring(rule=rule, prior_spread=prior), True


def _identity_parts(
    identity_ids: NDArray[np.int64], is_forgery: NDArray[np.bool_]
) -> dict[int, tuple[NDArray[np.int64], NDArray[np.int64]]]:
    parts = {}
    for identity in np.unique(identity_ids):
        mine = identity_ids == identity
        parts[int(identity)] = (
            np.flatnonzero(mine & ~is_forgery),
            np.flatnonzero(mine & is_forgery),
        )
    return parts


def score_reference_trials(
    embeddings: torch.Tensor,
    comparator: Comparator,
    identity_ids: torch.Tensor,
    is_forgery: torch.Tensor,
    protocol: ReferenceProtocol,
) -> ScoredPairs:
    """Score every trial of ``protocol`` over identities with more than ``k`` genuine images.

    Raises ``ValueError`` when no identity has enough genuine images for ``k`` references.
    """
    ids = identity_ids.cpu().numpy().astype(np.int64)
    forged = is_forgery.cpu().numpy().astype(bool)
    with torch.inference_mode():
        similarity = comparator.matrix(embeddings, embeddings).cpu().double().numpy()
    generator = np.random.default_rng(protocol.seed)
    parts = _identity_parts(ids, forged)
    all_genuine = np.flatnonzero(~forged)
    scores: list[NDArray[np.float64]] = []
    kinds: list[NDArray[np.str_]] = []
    for identity, (genuine, forgeries) in parts.items():
        if genuine.size <= protocol.references:
            continue
        others = all_genuine[ids[all_genuine] != identity]
        for _ in range(protocol.draws):
            chosen = generator.permutation(genuine)
            references = chosen[: protocol.references]
            among = similarity[np.ix_(references, references)]
            for kind, questioned in (
                ("genuine", chosen[protocol.references :]),
                ("skilled", forgeries),
                ("random", others),
            ):
                if questioned.size == 0:
                    continue
                rows = similarity[np.ix_(questioned, references)]
                scores.append(subject_scores(rows, protocol.scoring, among))
                kinds.append(np.full(questioned.size, kind))
    if not scores:
        raise ValueError(f"no identity has more than {protocol.references} genuine images")
    kind_array = np.concatenate(kinds)
    return ScoredPairs(
        np.concatenate(scores),
        (kind_array == "genuine").astype(np.int64),
        kind_array,
    )


class ReferenceResult(BaseModel):
    """Error rates of one protocol, per negative kind, at one global threshold per kind."""

    references: int
    aggregation: ScoringRule
    trials: dict[str, int]
    eer: dict[str, float]
    frr_at_far: dict[str, dict[str, float]]


def _rates(trials: ScoredPairs, kind: str) -> tuple[float, dict[str, float]]:
    chosen = (trials.labels == 1) | (trials.kinds == kind)
    scores, labels = trials.scores[chosen], trials.labels[chosen]
    frr = {
        f"{far:.0e}": 1.0 - rates_at(scores, labels, threshold_at_far(scores, labels, far))[1]
        for far in REPORTED_FARS
    }
    return equal_error_rate(scores, labels).rate, frr


def summarise_trials(trials: ScoredPairs, protocol: ReferenceProtocol) -> ReferenceResult:
    kinds, counts = np.unique(trials.kinds, return_counts=True)
    negative_kinds = [str(kind) for kind in kinds if kind != "genuine"]
    rates = {kind: _rates(trials, kind) for kind in negative_kinds}
    return ReferenceResult(
        references=protocol.references,
        aggregation=protocol.scoring.rule,
        trials={str(kind): int(count) for kind, count in zip(kinds, counts, strict=True)},
        eer={kind: eer for kind, (eer, _) in rates.items()},
        frr_at_far={kind: frr for kind, (_, frr) in rates.items()},
    )


def reference_report(
    embeddings: torch.Tensor,
    comparator: Comparator,
    identity_ids: torch.Tensor,
    is_forgery: torch.Tensor,
    counts: Sequence[int] = REFERENCE_COUNTS,
    scoring: ReferenceScoring = BEST_REFERENCE,
    draws: int = 10,
    seed: int = 0,
) -> list[ReferenceResult]:
    """One :class:`ReferenceResult` per reference count the identities can support."""
    results = []
    for references in counts:
        protocol = ReferenceProtocol(references, scoring, draws, seed)
        try:
            trials = score_reference_trials(
                embeddings, comparator, identity_ids, is_forgery, protocol
            )
        except ValueError:
            continue
        if trials.labels.all() or not trials.labels.any():
            continue
        results.append(summarise_trials(trials, protocol))
    return results
