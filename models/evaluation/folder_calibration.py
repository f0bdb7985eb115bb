"""Thresholds for a checkpoint from a labelled folder of images: every same-identity pair
is a positive, cross-identity pairs (subsampled) are the negatives.

This is how a model that was not trained here (dlib's) gets its operating points; a model
trained here is calibrated on its validation identities during training instead.
"""

from typing import Any

from models.data.image_set import ImageSet
from models.evaluation.all_pairs import score_all_pairs
from models.evaluation.calibration import OperatingPoint, calibrate
from models.evaluation.likelihood_ratio import LikelihoodRatioCalibration, fit_likelihood_ratio
from models.evaluation.summary import summarise
from models.serving import ServedModel


def calibrate_on_images(
    model: ServedModel, images: ImageSet, max_negatives: int = 2_000_000
) -> tuple[dict[str, OperatingPoint], LikelihoodRatioCalibration, dict[str, Any]]:
    """The operating points, the likelihood-ratio map fitted on the same pairs, and a
    summary of those pairs."""
    device = model.device
    embeddings = model.embed(images.images)
    scored = score_all_pairs(
        embeddings.to(device),
        model.comparator,
        images.identity_ids().to(device),
        images.is_forgery.to(device),
        max_random_negatives=max_negatives,
    )
    summary = summarise(scored.scores, scored.labels, scored.kinds)
    facts = {
        "images": len(images),
        "identities": len(images.identity_names),
        "positive_pairs": summary.positives,
        "negative_pairs": summary.negatives,
        "eer": summary.eer,
        "roc_auc": summary.roc_auc,
        "tar_at_far": summary.tar_at_far,
    }
    evidence = fit_likelihood_ratio(scored.scores, scored.labels, negatives="all negatives")
    return calibrate(scored.scores, scored.labels), evidence, facts
