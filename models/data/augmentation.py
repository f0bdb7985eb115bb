"""Training-time augmentation with torchvision transforms (v2, on ``uint8`` tensors)."""

from collections.abc import Callable
from typing import cast

import torch
from torchvision.transforms import v2

from models.preprocessing import PreprocessSpec


def _identity(image: torch.Tensor) -> torch.Tensor:
    return image


def build_augmentation(spec: PreprocessSpec, strength: float) -> Callable[[torch.Tensor], torch.Tensor]:
    """Geometric jitter for every modality, plus flips and colour jitter for faces.

    ``strength`` in [0, 1] scales every range; 0 disables augmentation. Background fill is 0,
    which is paper for ink-high signatures and black border for photos.
    """
    if strength <= 0:
        return _identity
    transform: object
    affine = v2.RandomAffine(
        degrees=5 * strength,
        translate=(0.05 * strength, 0.05 * strength),
        scale=(1 - 0.1 * strength, 1 + 0.05 * strength),
        shear=3 * strength,
        fill=0,
    )
    if spec.name in ("face", "rgb"):
        transform = v2.Compose(
            [
                v2.RandomHorizontalFlip(),
                affine,
                v2.ColorJitter(brightness=0.3 * strength, contrast=0.3 * strength, saturation=0.2 * strength),
            ]
        )
    else:
        transform = affine
    return cast(Callable[[torch.Tensor], torch.Tensor], transform)
