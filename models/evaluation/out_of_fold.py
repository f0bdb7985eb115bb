"""Writer cross-validation: each fold's model scores only the identities it never saw.

``k`` fold models of one recipe, each validated on a disjoint set of identities, together
score every identity out of fold. Reported: each fold's reference table, the mean over the
folds (the protocol's headline figure: not the best fold), and the pooled trials at one
global threshold, which is how a shipped model's operating points and likelihood-ratio map
are calibrated. Cllr is cross-validated too: each fold's scores are turned into ratios by
a logistic map fitted on the *other* folds' trials.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from pydantic import BaseModel

from models.evaluation.all_pairs import ScoredPairs
from models.evaluation.calibration import OperatingPoint, calibrate
from models.evaluation.likelihood_ratio import (
    LikelihoodRatioCalibration,
    cllr,
    fit_likelihood_ratio,
    min_cllr,
)
from models.evaluation.reference_trials import (
    ReferenceProtocol,
    ReferenceResult,
    score_reference_trials,
    summarise_trials,
)
from models.twin import Comparator

NEGATIVE_KINDS = ("skilled", "random")


@dataclass(frozen=True)
class HeldOutFold:
    """One fold model's embeddings of the identities it was validated on (never trained on)."""

    label: str
    embeddings: torch.Tensor
    comparator: Comparator
    identity_names: tuple[str, ...]
    identity_ids: torch.Tensor
    is_forgery: torch.Tensor


class FoldTableRow(ReferenceResult):
    """One fold's rates at one reference count, with its cost of evidence per negative kind."""

    cllr: dict[str, float]
    min_cllr: dict[str, float]


class FoldResult(BaseModel):
    label: str
    identities: int
    table: list[FoldTableRow]


class MeanResult(BaseModel):
    """Per reference count: each figure averaged over the folds (equal weight per fold)."""

    references: int
    eer: dict[str, float]
    frr_at_far: dict[str, dict[str, float]]
    cllr: dict[str, float]
    min_cllr: dict[str, float]


class OutOfFoldReport(BaseModel):
    folds: list[FoldResult]
    mean: list[MeanResult]
    pooled: list[ReferenceResult]


def check_disjoint(folds: Sequence[HeldOutFold]) -> None:
    """Raise ``ValueError`` if an identity is held out by two folds (then it is not one
    protocol's cross-validation, and the pooled trials would count it twice)."""
    seen: dict[str, str] = {}
    for fold in folds:
        for name in fold.identity_names:
            if name in seen:
                raise ValueError(
                    f"identity {name!r} is held out by both {seen[name]} and {fold.label}: "
                    "the folds are not disjoint"
                )
            seen[name] = fold.label


def fold_trials(fold: HeldOutFold, protocol: ReferenceProtocol) -> ScoredPairs:
    return score_reference_trials(
        fold.embeddings, fold.comparator, fold.identity_ids, fold.is_forgery, protocol
    )


def against(trials: ScoredPairs, kind: str) -> ScoredPairs:
    """The positive trials and the negatives of one kind."""
    chosen = (trials.labels == 1) | (trials.kinds == kind)
    return ScoredPairs(trials.scores[chosen], trials.labels[chosen], trials.kinds[chosen])


def pool(parts: Sequence[ScoredPairs]) -> ScoredPairs:
    return ScoredPairs(
        np.concatenate([p.scores for p in parts]),
        np.concatenate([p.labels for p in parts]),
        np.concatenate([p.kinds for p in parts]),
    )


def _cross_validated_cllr(per_fold: list[ScoredPairs], kind: str) -> list[float]:
    costs = []
    for index, trials in enumerate(per_fold):
        mine = against(trials, kind)
        if len(per_fold) == 1:
            # One fold alone has no other folds to calibrate on: fit on itself (optimistic).
            rest = mine
        else:
            rest = against(pool([t for i, t in enumerate(per_fold) if i != index]), kind)
        fitted = fit_likelihood_ratio(rest.scores, rest.labels, negatives=kind)
        costs.append(cllr(fitted.slope * mine.scores + fitted.offset, mine.labels))
    return costs


def _kinds(trials: ScoredPairs) -> list[str]:
    return [kind for kind in NEGATIVE_KINDS if (trials.kinds == kind).any()]


def out_of_fold_report(
    folds: Sequence[HeldOutFold], counts: Sequence[int], draws: int = 10, seed: int = 0
) -> OutOfFoldReport:
    """Per-fold, mean and pooled tables for each reference count the identities allow."""
    check_disjoint(folds)
    fold_tables: list[list[FoldTableRow]] = [[] for _ in folds]
    means, pooled = [], []
    for references in counts:
        protocol = ReferenceProtocol(references, "max", draws, seed)
        try:
            per_fold = [fold_trials(fold, protocol) for fold in folds]
        except ValueError:
            continue
        kinds = _kinds(pool(per_fold))
        costs = {kind: _cross_validated_cllr(per_fold, kind) for kind in kinds}
        minimum = {
            kind: [min_cllr(against(t, kind).scores, against(t, kind).labels) for t in per_fold]
            for kind in kinds
        }
        results = [summarise_trials(trials, protocol) for trials in per_fold]
        for index, result in enumerate(results):
            row = FoldTableRow(
                **result.model_dump(),
                cllr={kind: costs[kind][index] for kind in kinds},
                min_cllr={kind: minimum[kind][index] for kind in kinds},
            )
            fold_tables[index].append(row)
        means.append(_mean(references, results, costs, minimum))
        pooled.append(summarise_trials(pool(per_fold), protocol))
    fold_results = [
        FoldResult(label=fold.label, identities=len(fold.identity_names), table=fold_tables[i])
        for i, fold in enumerate(folds)
    ]
    return OutOfFoldReport(folds=fold_results, mean=means, pooled=pooled)


def _mean(
    references: int,
    results: list[ReferenceResult],
    costs: dict[str, list[float]],
    minimum: dict[str, list[float]],
) -> MeanResult:
    kinds = list(costs)
    return MeanResult(
        references=references,
        eer={kind: float(np.mean([r.eer[kind] for r in results])) for kind in kinds},
        frr_at_far={
            kind: {
                far: float(np.mean([r.frr_at_far[kind][far] for r in results]))
                for far in results[0].frr_at_far[kind]
            }
            for kind in kinds
        },
        cllr={kind: float(np.mean(values)) for kind, values in costs.items()},
        min_cllr={kind: float(np.mean(values)) for kind, values in minimum.items()},
    )


def out_of_fold_calibration(
    folds: Sequence[HeldOutFold], references: int, negatives: str, draws: int = 10
) -> tuple[dict[str, OperatingPoint], LikelihoodRatioCalibration, int]:
    """Operating points and likelihood-ratio map from every fold's held-out trials, pooled:
    each identity scored by the model that never saw it. Also returns the trial count."""
    check_disjoint(folds)
    protocol = ReferenceProtocol(references, "max", draws)
    trials = pool([fold_trials(fold, protocol) for fold in folds])
    if negatives == "skilled":
        trials = against(trials, "skilled")
        described = "skilled forgeries"
    else:
        described = "all negatives"
    if not (trials.labels == 0).any():
        raise ValueError(f"the held-out identities have no {described} to calibrate on")
    points = calibrate(trials.scores, trials.labels)
    fitted = fit_likelihood_ratio(
        trials.scores, trials.labels, negatives=described, references=references
    )
    return points, fitted, int(trials.labels.size)
