"""Scoring a probe against k enrolled references: the best score as the service does, or
normalised by how far apart the subject's own references lie (a per-subject adaptation
that needs nothing but the enrolment itself).

    python -m bench.reference_normalisation [--folds F0 F1 F2 F3] [--references 5]

Each fold checkpoint scores only the identities it was validated on (never trained on), as
``twinverify evaluate-folds`` does; figures are means over the folds, one global threshold.
Without ``--folds``: the shipped signature model on its own validation writers.
"""

import argparse
from collections.abc import Callable
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from models.bundled import SIGNATURE_CHECKPOINT
from models.evaluation.metrics import equal_error_rate, rates_at, threshold_at_far
from models.out_of_fold_cli import held_out_folds

Scorer = Callable[[NDArray[np.float64], NDArray[np.float64]], NDArray[np.float64]]


def _spread(references: NDArray[np.float64]) -> float:
    """Mean similarity between the subject's references (k x k matrix, diagonal ignored)."""
    k = references.shape[0]
    return float(references[np.triu_indices(k, 1)].mean())


# (questioned x k similarities, k x k reference similarities) -> one score per questioned image
SCORERS: dict[str, Scorer] = {
    "best (service)": lambda s, r: s.max(axis=1),
    "mean": lambda s, r: s.mean(axis=1),
    "best - spread": lambda s, r: s.max(axis=1) - _spread(r),
    "mean - spread": lambda s, r: s.mean(axis=1) - _spread(r),
    "best / spread": lambda s, r: s.max(axis=1) / abs(_spread(r)),
}


def fold_trials(
    similarity: NDArray[np.float64],
    ids: NDArray[np.int64],
    forged: NDArray[np.bool_],
    references: int,
    draws: int,
) -> dict[str, dict[str, NDArray[np.float64]]]:
    """Scores per scorer per trial kind (genuine / skilled / random), same draws for all."""
    rng = np.random.default_rng(0)
    out: dict[str, dict[str, list[NDArray[np.float64]]]] = {
        name: {"genuine": [], "skilled": [], "random": []} for name in SCORERS
    }
    genuine_all = np.flatnonzero(~forged)
    for identity in np.unique(ids):
        genuine = np.flatnonzero((ids == identity) & ~forged)
        forgeries = np.flatnonzero((ids == identity) & forged)
        others = genuine_all[ids[genuine_all] != identity]
        for _ in range(draws):
            chosen = rng.permutation(genuine)
            refs = chosen[:references]
            among = similarity[np.ix_(refs, refs)]
            for kind, questioned in (
                ("genuine", chosen[references:]),
                ("skilled", forgeries),
                ("random", others),
            ):
                if questioned.size == 0:
                    continue
                rows = similarity[np.ix_(questioned, refs)]
                for name, scorer in SCORERS.items():
                    out[name][kind].append(scorer(rows, among))
    return {
        name: {kind: np.concatenate(parts) for kind, parts in kinds.items() if parts}
        for name, kinds in out.items()
    }


def rates(trials: dict[str, NDArray[np.float64]], kind: str) -> tuple[float, float]:
    """(EER, FRR at FAR 1 %) of genuine trials against one negative kind."""
    scores = np.concatenate([trials["genuine"], trials[kind]])
    labels = np.r_[np.ones(trials["genuine"].size), np.zeros(trials[kind].size)].astype(np.int64)
    far_threshold = threshold_at_far(scores, labels, 0.01)
    return equal_error_rate(scores, labels).rate, 1.0 - rates_at(scores, labels, far_threshold)[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--folds", type=Path, nargs="+", default=[SIGNATURE_CHECKPOINT])
    parser.add_argument("--root", type=Path)
    parser.add_argument("--references", type=int, default=5)
    parser.add_argument("--draws", type=int, default=10)
    args = parser.parse_args()
    per_fold = []
    for fold in held_out_folds(args.folds, args.root):
        similarity = fold.comparator.matrix(fold.embeddings, fold.embeddings).double().numpy()
        ids = fold.identity_ids.numpy().astype(np.int64)
        forged = fold.is_forgery.numpy().astype(bool)
        per_fold.append(fold_trials(similarity, ids, forged, args.references, args.draws))
    print(
        f"{len(per_fold)} folds, {args.references} references, {args.draws} draws; "
        "mean over folds (%)"
    )
    print(f"{'scoring':<16} {'EER skilled':>11} {'FRR@1% sk':>10} {'EER random':>11}")
    for name in SCORERS:
        skilled = np.mean([rates(fold[name], "skilled") for fold in per_fold], axis=0)
        random = np.mean([rates(fold[name], "random")[0] for fold in per_fold])
        eer, frr = 100 * skilled
        print(f"{name:<16} {eer:>11.2f} {frr:>10.2f} {100 * random:>11.2f}")


if __name__ == "__main__":
    main()
