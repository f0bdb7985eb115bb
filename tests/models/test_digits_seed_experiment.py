"""The classic Siamese demonstration on scikit-learn's 8x8 digits, trained for real.

Same digit or not, on held-out digit images: pair accuracy >= 96 % with the contrastive,
the triplet (batch-hard) and the BCE-head twin networks, at the threshold each checkpoint
calibrated on its validation images. Then one-shot generalisation: trained on digits 0-6
only, verifying pairs of the never-seen digits 7-9 with ROC AUC >= 0.90.

The one-shot network verifies with an embedding that keeps a 4x4 layout and trains
through a projection head (dropped afterwards): a loss applied straight to the embedding
collapses it onto the seven training classes (AUC ~0.80 on 7-9 here, below the 0.84 of raw
pixels). This is close to what 8x8 digits and seven training classes allow: the fixed seed
0 gives 0.907, and seeds 1-3 gave 0.892, 0.904 and 0.900.
"""

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from models.checkpoint import Checkpoint, load_checkpoint
from models.data.image_set import ImageSet
from models.data.pair_sampler import BalancedPairSampler
from models.embedding import embed_images
from models.evaluation.all_pairs import score_all_pairs
from models.evaluation.metrics import roc_auc
from models.preprocessing import build_preprocessor
from models.training.config import parse_config
from models.training.trainer import train
from tests.helpers import digits_arrays, image_set

pytestmark = pytest.mark.slow

LOSSES: dict[str, dict[str, Any]] = {
    "contrastive": {"name": "contrastive", "margin": 1.4},
    "triplet": {"name": "triplet", "margin": 0.2, "mining": "batch_hard"},
    "bce_head": {"name": "bce_head"},
}


def split_digits(classes: range, size: int = 8) -> tuple[ImageSet, ImageSet, ImageSet]:
    """Stratified 60 / 15 / 25 % split of the images of ``classes`` (fixed seed)."""
    images, labels = digits_arrays(size)
    rng = np.random.default_rng(0)
    parts: list[list[int]] = [[], [], []]
    for digit in classes:
        members = rng.permutation(np.flatnonzero(labels == digit))
        cut_train, cut_val = int(0.6 * len(members)), int(0.75 * len(members))
        for part, chunk in zip(parts, np.split(members, [cut_train, cut_val]), strict=True):
            part.extend(chunk.tolist())
    train_ix, val_ix, test_ix = (np.array(sorted(p)) for p in parts)
    return (
        image_set(images, labels, train_ix),
        image_set(images, labels, val_ix),
        image_set(images, labels, test_ix),
    )


def train_digits(
    loss: dict[str, Any],
    train_set: ImageSet,
    val_set: ImageSet,
    out: Path,
    encoder: dict[str, Any] | None = None,
) -> Checkpoint:
    size = int(train_set.images.shape[-1])
    config = parse_config(
        {
            "name": f"digits-{loss['name']}",
            "seed": 0,
            "device": "cpu",
            "output_dir": str(out),
            "preprocessing": {"name": "grey", "height": size, "width": size},
            "encoder": encoder
            or {"name": "tiny_cnn", "embedding_size": 64, "in_channels": 1, "width": 16},
            "loss": loss,
            "training": {
                "epochs": 10,
                "batch_size": 56,
                "steps_per_epoch": 40,
                "m_per_class": 8,
                "learning_rate": 3e-3,
                "augment": 0.0,
                "patience": 10,
            },
        }
    )
    result = train(config, train_set, val_set, progress_bar=False)
    return load_checkpoint(result.checkpoint)


def embed(checkpoint: Checkpoint, images: ImageSet) -> torch.Tensor:
    preprocessor = build_preprocessor(checkpoint.metadata.preprocessing)
    return embed_images(checkpoint.model, preprocessor, images.images, torch.device("cpu"))


def held_out_pair_accuracy(checkpoint: Checkpoint, test_set: ImageSet) -> float:
    embeddings = embed(checkpoint, test_set)
    sampler = BalancedPairSampler(test_set.identities, test_set.is_forgery.tolist(), 4000, seed=123)
    first, second, labels = (torch.tensor(column) for column in zip(*sampler, strict=True))
    with torch.inference_mode():
        scores = checkpoint.model.comparator(embeddings[first], embeddings[second])
    threshold = checkpoint.metadata.thresholds["eer"].threshold
    return float(((scores >= threshold) == (labels == 1)).float().mean())


@pytest.mark.parametrize("loss", list(LOSSES))
def test_pair_accuracy_on_held_out_digits(loss: str, tmp_path: Path) -> None:
    train_set, val_set, test_set = split_digits(range(10))
    checkpoint = train_digits(LOSSES[loss], train_set, val_set, tmp_path)
    accuracy = held_out_pair_accuracy(checkpoint, test_set)
    print(f"\ndigits {loss}: held-out pair accuracy {100 * accuracy:.2f} % on 4000 balanced pairs")
    assert accuracy >= 0.96


def concatenate(*parts: ImageSet) -> ImageSet:
    return ImageSet(
        images=torch.cat([part.images for part in parts]),
        identities=[name for part in parts for name in part.identities],
        is_forgery=torch.cat([part.is_forgery for part in parts]),
        paths=[path for part in parts for path in part.paths],
    )


def test_one_shot_generalisation_to_unseen_digits(tmp_path: Path) -> None:
    seen_train, seen_val, seen_rest = split_digits(range(7), size=16)
    unseen = concatenate(*split_digits(range(7, 10), size=16))
    checkpoint = train_digits(
        {"name": "triplet", "margin": 0.2, "mining": "semihard"},
        concatenate(seen_train, seen_rest),
        seen_val,
        tmp_path,
        encoder={
            "name": "tiny_cnn",
            "embedding_size": 256,
            "in_channels": 1,
            "width": 16,
            "projection_size": 64,
        },
    )
    assert set(unseen.identities).isdisjoint(
        seen_train.identities + seen_val.identities + seen_rest.identities
    )
    pairs = score_all_pairs(
        embed(checkpoint, unseen),
        checkpoint.model.comparator,
        unseen.identity_ids(),
        unseen.is_forgery,
    )
    auc = roc_auc(pairs.scores, pairs.labels)
    print(
        f"\ndigits one-shot 7-9 (trained on 0-6): ROC AUC {auc:.4f} over {len(pairs.scores)} pairs"
    )
    assert auc >= 0.90
