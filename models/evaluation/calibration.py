"""Operating points a checkpoint ships: thresholds at the EER and at fixed false accept rates."""

import numpy as np
from numpy.typing import ArrayLike
from pydantic import BaseModel

from models.evaluation.metrics import equal_error_rate, rates_at, threshold_at_far

# 5e-2 is the loose end a signature service needs: against skilled forgeries, stricter
# points turn away most genuine signers of today's models.
CALIBRATION_FARS = (5e-2, 1e-2, 1e-3, 1e-4)


class OperatingPoint(BaseModel):
    """A threshold and the rates it produced on the calibration pairs.

    ``reliable`` is false when there were too few negatives to observe this FAR at all
    (fewer than ``1 / far``): the threshold is then only an upper-bound guess.
    """

    threshold: float
    far: float
    frr: float
    target_far: float | None = None
    negatives: int
    positives: int
    reliable: bool


def operating_point_key(far: float) -> str:
    """``1e-3 -> "far_1e-03"``: stable keys for JSON and the API."""
    return f"far_{far:.0e}"


def calibrate(scores: ArrayLike, labels: ArrayLike) -> dict[str, OperatingPoint]:
    """Thresholds at the EER (key ``eer``) and at each FAR in :data:`CALIBRATION_FARS`."""
    y = np.asarray(labels).astype(bool)
    positives, negatives = int(y.sum()), int((~y).sum())
    points: dict[str, OperatingPoint] = {}
    eer = equal_error_rate(scores, labels)
    far, tar = rates_at(scores, labels, eer.threshold)
    points["eer"] = OperatingPoint(
        threshold=eer.threshold,
        far=far,
        frr=1 - tar,
        negatives=negatives,
        positives=positives,
        reliable=True,
    )
    for target in CALIBRATION_FARS:
        threshold = threshold_at_far(scores, labels, target)
        far, tar = rates_at(scores, labels, threshold)
        points[operating_point_key(target)] = OperatingPoint(
            threshold=threshold,
            far=far,
            frr=1 - tar,
            target_far=target,
            negatives=negatives,
            positives=positives,
            reliable=negatives * target >= 1,
        )
    return points
