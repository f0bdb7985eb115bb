"""The thresholds, likelihood-ratio calibration and reference-count table a checkpoint
ships, from validation embeddings.

By default thresholds come from every validation pair. A signature model is better served
by trials shaped like its use: a questioned image against ``k`` enrolled references, with
false accepts counted on skilled forgeries, the attack that matters.
"""

from typing import Any

from models.data.image_set import ImageSet
from models.errors import DatasetError
from models.evaluation.all_pairs import ScoredPairs
from models.evaluation.calibration import OperatingPoint
from models.evaluation.likelihood_ratio import LikelihoodRatioCalibration
from models.evaluation.reference_trials import (
    ReferenceProtocol,
    reference_report,
    score_reference_trials,
    scoring_for,
)
from models.evaluation.trial_calibration import calibrate_trials, calibration_negatives
from models.reference_scoring import BEST_REFERENCE, ReferenceScoring
from models.training.config import CalibrationConfig
from models.training.validation import ValidationResult
from models.twin import Comparator


def check_calibration(images: ImageSet, config: CalibrationConfig) -> None:
    """Fail before training when the validation identities cannot be calibrated as asked."""
    if config.negatives == "skilled" and not bool(images.is_forgery.any()):
        raise DatasetError("calibration.negatives = 'skilled' but validation has no forgeries")
    genuine = images.identity_ids()[~images.is_forgery]
    if config.references > 1 and int(genuine.bincount().max()) <= config.references:
        raise DatasetError(
            f"calibration.references = {config.references}: no validation identity has "
            f"more than {config.references} genuine images"
        )


def reference_scoring(
    comparator: Comparator, result: ValidationResult, images: ImageSet, config: CalibrationConfig
) -> ReferenceScoring:
    """The rule ``config`` names, with its prior spread from the validation identities."""
    scoring, _ = scoring_for(
        config.scoring,
        BEST_REFERENCE,
        result.embeddings,
        comparator,
        images.identity_ids(),
        images.is_forgery,
    )
    return scoring


def _calibration_trials(
    comparator: Comparator,
    result: ValidationResult,
    images: ImageSet,
    config: CalibrationConfig,
    scoring: ReferenceScoring,
) -> ScoredPairs:
    if config.references == 1 and scoring.rule != "mean_minus_spread":
        return result.pairs
    protocol = ReferenceProtocol(config.references, scoring, config.draws)
    try:
        return score_reference_trials(
            result.embeddings, comparator, images.identity_ids(), images.is_forgery, protocol
        )
    except ValueError as exc:
        message = f"calibration.references: {exc} among the validation identities"
        raise DatasetError(message) from exc


def calibration_trials(
    comparator: Comparator,
    result: ValidationResult,
    images: ImageSet,
    config: CalibrationConfig,
    scoring: ReferenceScoring,
) -> ScoredPairs:
    """The validation trials ``config`` asks to calibrate on: shaped like the service's use
    (``references`` enrolled images, scored by ``scoring``), negatives restricted to skilled
    forgeries if asked."""
    trials = _calibration_trials(comparator, result, images, config, scoring)
    return calibration_negatives(trials, config.negatives)


def shipped_calibration(
    trials: ScoredPairs, config: CalibrationConfig
) -> tuple[dict[str, OperatingPoint], LikelihoodRatioCalibration]:
    """Operating points and the score -> log-likelihood-ratio map, from the same trials."""
    return calibrate_trials(trials, config.negatives, config.references)


def reference_table(
    comparator: Comparator, result: ValidationResult, images: ImageSet, scoring: ReferenceScoring
) -> list[dict[str, Any]]:
    """EER and FRR at fixed FAR per negative kind with 1, 3 and 5 enrolled references."""
    results = reference_report(
        result.embeddings, comparator, images.identity_ids(), images.is_forgery, scoring=scoring
    )
    return [entry.model_dump() for entry in results]
