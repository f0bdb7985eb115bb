"""Operating points and the likelihood-ratio map from one set of labelled trials: the
calibration a checkpoint ships, whether the trials come from its own validation identities
or from every fold's held-out ones."""

from typing import Literal

from models.errors import DatasetError
from models.evaluation.all_pairs import ScoredPairs, against
from models.evaluation.calibration import OperatingPoint, calibrate
from models.evaluation.likelihood_ratio import LikelihoodRatioCalibration, fit_likelihood_ratio

Negatives = Literal["all", "skilled"]
_DESCRIBED = {"all": "all negatives", "skilled": "skilled forgeries"}


def calibration_negatives(trials: ScoredPairs, negatives: Negatives) -> ScoredPairs:
    """All trials, or (``"skilled"``) the positives and the skilled-forgery negatives;
    raises :class:`DatasetError` when no negative trial is left to calibrate on."""
    chosen = against(trials, "skilled") if negatives == "skilled" else trials
    if not (chosen.labels == 0).any():
        if negatives == "skilled":
            raise DatasetError("calibration.negatives = 'skilled' but validation has no forgeries")
        raise DatasetError("no negative trials to calibrate on")
    return chosen


def calibrate_trials(
    trials: ScoredPairs, negatives: Negatives, references: int
) -> tuple[dict[str, OperatingPoint], LikelihoodRatioCalibration]:
    """Thresholds and the score -> log-likelihood-ratio map, fitted on the same trials
    (already restricted by :func:`calibration_negatives`)."""
    likelihood_ratio = fit_likelihood_ratio(
        trials.scores, trials.labels, negatives=_DESCRIBED[negatives], references=references
    )
    return calibrate(trials.scores, trials.labels), likelihood_ratio
