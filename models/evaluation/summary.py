"""The headline figures of a set of scored pairs, as reported by training and evaluation."""

import numpy as np
from numpy.typing import ArrayLike
from pydantic import BaseModel

from models.data.pairs_file import FOLD_KIND
from models.evaluation.metrics import equal_error_rate, k_fold_accuracy, roc_auc, tar_at_far

REPORTED_FARS = (1e-2, 1e-3)
POSITIVE_KINDS = frozenset({"genuine", "same", "positive"})


class VerificationSummary(BaseModel):
    pairs: int
    positives: int
    negatives: int
    eer: float
    eer_threshold: float
    roc_auc: float
    tar_at_far: dict[str, float]
    eer_by_negative_kind: dict[str, float]
    kfold_accuracy: float | None = None
    kfold_accuracy_std: float | None = None
    folds: int | None = None


def summarise(scores: ArrayLike, labels: ArrayLike, kinds: ArrayLike) -> VerificationSummary:
    """EER, AUC, TAR at FAR 1e-2 / 1e-3, EER per negative kind and, when ``kinds`` name
    folds (``fold1``, ``fold2``, ...), k-fold accuracy with thresholds from the other folds."""
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels).astype(np.int64)
    k = np.asarray(kinds).astype(str)
    eer = equal_error_rate(s, y)
    summary = VerificationSummary(
        pairs=int(y.size),
        positives=int(y.sum()),
        negatives=int((1 - y).sum()),
        eer=eer.rate,
        eer_threshold=eer.threshold,
        roc_auc=roc_auc(s, y),
        tar_at_far={f"{far:.0e}": tar_at_far(s, y, far) for far in REPORTED_FARS},
        eer_by_negative_kind={},
    )
    is_fold = np.array([bool(FOLD_KIND.match(kind)) for kind in k])
    if is_fold.all() and len(np.unique(k)) >= 2:
        mean, std = k_fold_accuracy(s, y, k)
        summary.kfold_accuracy, summary.kfold_accuracy_std = mean, std
        summary.folds = len(np.unique(k))
        return summary
    negative_kinds = sorted(set(k[y == 0]) - POSITIVE_KINDS)
    for kind in negative_kinds:
        chosen = (y == 1) | (k == kind)
        summary.eer_by_negative_kind[kind] = equal_error_rate(s[chosen], y[chosen]).rate
    return summary
