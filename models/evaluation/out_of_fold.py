"""Writer cross-validation: each fold's model scores only the identities it never saw.

``k`` fold models of one recipe, each validated on a disjoint set of identities, together
score every identity out of fold. Reported: each fold's reference table, the mean over the
folds (the protocol's headline figure: not the best fold), and the pooled trials at one
global threshold, which is how a shipped model's operating points and likelihood-ratio map
are calibrated. Calibration is cross-validated too: each fold's scores are judged by
thresholds and turned into ratios by a logistic map set on the *other* folds' trials, so
the report says what a stated FAR and a reported ratio are worth on writers, and a model,
they were not set on.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from pydantic import BaseModel

from models.evaluation.all_pairs import ScoredPairs, against, pool
from models.evaluation.calibration import OperatingPoint
from models.evaluation.likelihood_ratio import (
    LikelihoodRatioCalibration,
    cllr,
    fit_likelihood_ratio,
    min_cllr,
)
from models.evaluation.metrics import rates_at, threshold_at_far
from models.evaluation.reference_trials import (
    ReferenceProtocol,
    ReferenceResult,
    score_reference_trials,
    summarise_trials,
)
from models.evaluation.summary import REPORTED_FARS
from models.evaluation.trial_calibration import Negatives, calibrate_trials, calibration_negatives
from models.reference_scoring import BEST_REFERENCE, ReferenceScoring
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
    scoring: ReferenceScoring = BEST_REFERENCE


class TransferredRates(BaseModel):
    """A threshold set at ``target_far`` on the *other* folds' trials, applied to this fold:
    what a stated operating point delivers on writers and a model it was not set on."""

    target_far: float
    far: float
    frr: float


class FoldTableRow(ReferenceResult):
    """One fold's rates at one reference count, with its cost of evidence per negative kind."""

    cllr: dict[str, float]
    min_cllr: dict[str, float]
    transferred: dict[str, list[TransferredRates]]


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
    transferred: dict[str, list[TransferredRates]]


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


def fold_trials(fold: HeldOutFold, references: int, draws: int, seed: int = 0) -> ScoredPairs:
    """The fold's reference trials, scored by the fold model's own reference scoring."""
    protocol = ReferenceProtocol(references, fold.scoring, draws, seed)
    return score_reference_trials(
        fold.embeddings, fold.comparator, fold.identity_ids, fold.is_forgery, protocol
    )


def _other_folds(per_fold: list[ScoredPairs], index: int, kind: str) -> ScoredPairs:
    """Every fold's trials but fold ``index``'s, against one negative kind. One fold alone
    has no others: it is calibrated on itself (optimistic)."""
    others = [t for i, t in enumerate(per_fold) if i != index] or per_fold
    return against(pool(others), kind)


def _cross_validated_cllr(per_fold: list[ScoredPairs], kind: str) -> list[float]:
    costs = []
    for index, trials in enumerate(per_fold):
        mine, rest = against(trials, kind), _other_folds(per_fold, index, kind)
        fitted = fit_likelihood_ratio(rest.scores, rest.labels, negatives=kind)
        costs.append(cllr(fitted.slope * mine.scores + fitted.offset, mine.labels))
    return costs


def _transferred(per_fold: list[ScoredPairs], kind: str) -> list[list[TransferredRates]]:
    """Per fold, per reported FAR: the other folds' threshold applied to this fold."""
    table = []
    for index, trials in enumerate(per_fold):
        mine, rest = against(trials, kind), _other_folds(per_fold, index, kind)
        row = []
        for target in REPORTED_FARS:
            threshold = threshold_at_far(rest.scores, rest.labels, target)
            far, tar = rates_at(mine.scores, mine.labels, threshold)
            row.append(TransferredRates(target_far=target, far=far, frr=1.0 - tar))
        table.append(row)
    return table


def _min_cllr(trials: ScoredPairs) -> float:
    return min_cllr(trials.scores, trials.labels)


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
        protocol = ReferenceProtocol(references, folds[0].scoring, draws, seed)
        try:
            per_fold = [fold_trials(fold, references, draws, seed) for fold in folds]
        except ValueError:
            continue
        kinds = _kinds(pool(per_fold))
        costs = {kind: _cross_validated_cllr(per_fold, kind) for kind in kinds}
        minimum = {kind: [_min_cllr(against(t, kind)) for t in per_fold] for kind in kinds}
        moved = {kind: _transferred(per_fold, kind) for kind in kinds}
        results = [summarise_trials(trials, protocol) for trials in per_fold]
        rows = [
            FoldTableRow(
                **result.model_dump(),
                cllr={kind: costs[kind][index] for kind in kinds},
                min_cllr={kind: minimum[kind][index] for kind in kinds},
                transferred={kind: moved[kind][index] for kind in kinds},
            )
            for index, result in enumerate(results)
        ]
        for index, row in enumerate(rows):
            fold_tables[index].append(row)
        means.append(_mean(references, rows))
        pooled.append(summarise_trials(pool(per_fold), protocol))
    fold_results = [
        FoldResult(label=fold.label, identities=len(fold.identity_names), table=fold_tables[i])
        for i, fold in enumerate(folds)
    ]
    return OutOfFoldReport(folds=fold_results, mean=means, pooled=pooled)


def _mean(references: int, rows: list[FoldTableRow]) -> MeanResult:
    kinds = list(rows[0].cllr)

    def average(values: list[float]) -> float:
        return float(np.mean(values))

    return MeanResult(
        references=references,
        eer={kind: average([r.eer[kind] for r in rows]) for kind in kinds},
        frr_at_far={
            kind: {
                far: average([r.frr_at_far[kind][far] for r in rows])
                for far in rows[0].frr_at_far[kind]
            }
            for kind in kinds
        },
        cllr={kind: average([r.cllr[kind] for r in rows]) for kind in kinds},
        min_cllr={kind: average([r.min_cllr[kind] for r in rows]) for kind in kinds},
        transferred={
            kind: [
                TransferredRates(
                    target_far=point.target_far,
                    far=average([r.transferred[kind][i].far for r in rows]),
                    frr=average([r.transferred[kind][i].frr for r in rows]),
                )
                for i, point in enumerate(rows[0].transferred[kind])
            ]
            for kind in kinds
        },
    )


def out_of_fold_calibration(
    folds: Sequence[HeldOutFold], references: int, negatives: Negatives, draws: int = 10
) -> tuple[dict[str, OperatingPoint], LikelihoodRatioCalibration, int]:
    """Operating points and likelihood-ratio map from every fold's held-out trials, pooled:
    each identity scored by the model that never saw it. Also returns the trial count."""
    check_disjoint(folds)
    per_fold = [fold_trials(fold, references, draws) for fold in folds]
    trials = calibration_negatives(pool(per_fold), negatives)
    points, fitted = calibrate_trials(trials, negatives, references)
    return points, fitted, int(trials.labels.size)
