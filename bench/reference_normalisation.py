"""Scoring a probe against k enrolled references by each rule of
``models/reference_scoring.py``: the best score, the mean, and the mean less the subject's
spread (how alike its own references are), with and without shrinking the spread towards
the prior.

    python -m bench.reference_normalisation [--folds F0 F1 F2 F3] [--references 5]

Each fold checkpoint scores only the identities it was validated on (never trained on), as
``twinverify evaluate-folds`` does; figures are means over the folds, one global threshold.
A fold whose checkpoint carries no prior spread gets one estimated on its held-out
identities (one number). Without ``--folds``: the shipped signature model on its own
validation writers.
"""

import argparse
import dataclasses
from pathlib import Path

import numpy as np

from models.bundled import SIGNATURE_CHECKPOINT
from models.evaluation.all_pairs import ScoredPairs, against
from models.evaluation.metrics import equal_error_rate, rates_at, threshold_at_far
from models.evaluation.out_of_fold import HeldOutFold, fold_trials
from models.out_of_fold_cli import held_out_folds
from models.reference_scoring import ReferenceScoring


def _variants(fold: HeldOutFold) -> dict[str, ReferenceScoring]:
    prior = fold.scoring.prior_spread
    assert prior is not None, "folds are loaded with the mean_minus_spread rule"
    return {
        "max (best reference)": ReferenceScoring(rule="max"),
        "mean": ReferenceScoring(rule="mean"),
        "mean - spread": ReferenceScoring(
            rule="mean_minus_spread", prior_spread=prior, prior_weight=0.0
        ),
        "mean - shrunk spread": ReferenceScoring(
            rule="mean_minus_spread", prior_spread=prior, prior_weight=1.0
        ),
    }


def rates(trials: ScoredPairs, kind: str) -> tuple[float, float, float]:
    """(EER, FRR at FAR 5 %, FRR at FAR 1 %) of genuine trials against one negative kind."""
    chosen = against(trials, kind)
    eer = equal_error_rate(chosen.scores, chosen.labels).rate
    frr = []
    for far in (0.05, 0.01):
        threshold = threshold_at_far(chosen.scores, chosen.labels, far)
        frr.append(1.0 - rates_at(chosen.scores, chosen.labels, threshold)[1])
    return eer, frr[0], frr[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=Path, nargs="+", default=[SIGNATURE_CHECKPOINT])
    parser.add_argument("--root", type=Path)
    parser.add_argument("--references", type=int, default=5)
    parser.add_argument("--draws", type=int, default=10)
    args = parser.parse_args()
    folds = held_out_folds(args.folds, args.root, "mean_minus_spread")
    table: dict[str, list[tuple[float, float, float, float]]] = {}
    for fold in folds:
        for name, scoring in _variants(fold).items():
            scored = dataclasses.replace(fold, scoring=scoring)
            trials = fold_trials(scored, args.references, args.draws)
            skilled = rates(trials, "skilled")
            table.setdefault(name, []).append((*skilled, rates(trials, "random")[0]))
    print(
        f"{len(folds)} folds, {args.references} references, {args.draws} draws; mean over folds (%)"
    )
    print(
        f"{'scoring':<22} {'EER skilled':>11} {'FRR@5% sk':>10} {'FRR@1% sk':>10} "
        f"{'EER random':>11}"
    )
    for name, rows in table.items():
        eer, frr5, frr1, random = 100 * np.mean(rows, axis=0)
        print(f"{name:<22} {eer:>11.2f} {frr5:>10.2f} {frr1:>10.2f} {random:>11.2f}")


if __name__ == "__main__":
    main()
