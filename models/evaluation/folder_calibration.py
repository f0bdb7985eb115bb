"""Thresholds for a checkpoint from a labelled folder of images: every same-identity pair
is a positive, cross-identity pairs (subsampled) are the negatives.

This is how a model that was not trained here (dlib's) gets its operating points; a model
trained here is calibrated on its validation identities during training instead.
"""

from typing import Any

import torch

from models.checkpoint import Checkpoint
from models.data.image_set import ImageSet
from models.embedding import embed_images
from models.evaluation.all_pairs import score_all_pairs
from models.evaluation.calibration import OperatingPoint, calibrate
from models.evaluation.likelihood_ratio import LikelihoodRatioCalibration, fit_likelihood_ratio
from models.evaluation.summary import summarise
from models.preprocessing import Preprocessor


def calibrate_on_images(
    checkpoint: Checkpoint,
    preprocessor: Preprocessor,
    images: ImageSet,
    device: torch.device,
    max_negatives: int = 2_000_000,
) -> tuple[dict[str, OperatingPoint], LikelihoodRatioCalibration, dict[str, Any]]:
    """The operating points, the likelihood-ratio map fitted on the same pairs, and a
    summary of those pairs."""
    checkpoint.model.eval()
    embeddings = embed_images(checkpoint.model, preprocessor, images.images, device)
    scored = score_all_pairs(
        embeddings.to(device),
        checkpoint.model.comparator,
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
