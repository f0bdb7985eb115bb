"""Validation on held-out identities: every protocol pair scored, summarised, calibratable."""

from collections import Counter
from dataclasses import dataclass

import torch

from models.data.image_set import ImageSet
from models.embedding import embed_images
from models.errors import DatasetError
from models.evaluation.all_pairs import ScoredPairs, score_all_pairs
from models.evaluation.summary import VerificationSummary, summarise
from models.preprocessing import Preprocessor
from models.twin import TwinNetwork


def check_validation_set(images: ImageSet) -> None:
    """Fail before training, not after the first epoch, when validation cannot yield an EER."""
    genuine = [
        name
        for name, fake in zip(images.identities, images.is_forgery.tolist(), strict=True)
        if not fake
    ]
    counts = Counter(genuine)
    if not any(count >= 2 for count in counts.values()):
        raise DatasetError(
            "validation identities need at least one identity with two genuine images"
        )
    if len(counts) < 2 and not bool(images.is_forgery.any()):
        raise DatasetError(
            "validation needs two identities, or skilled forgeries, to form negative pairs"
        )


@dataclass(frozen=True)
class ValidationResult:
    pairs: ScoredPairs
    summary: VerificationSummary
    embeddings: torch.Tensor


def validate(
    model: TwinNetwork,
    preprocessor: Preprocessor,
    images: ImageSet,
    device: torch.device,
    max_random_negatives: int,
    seed: int,
) -> ValidationResult:
    """Embed the validation images once and score all protocol pairs among them."""
    model.eval()
    embeddings = embed_images(model, preprocessor, images.images, device)
    pairs = score_all_pairs(
        embeddings.to(device),
        model.comparator,
        images.identity_ids().to(device),
        images.is_forgery.to(device),
        max_random_negatives=max_random_negatives,
        seed=seed,
    )
    return ValidationResult(pairs, summarise(pairs.scores, pairs.labels, pairs.kinds), embeddings)
