"""torch ``Dataset`` views over an :class:`ImageSet` for pair and labelled batches."""

from collections.abc import Callable

import torch
from torch.utils.data import Dataset

from models.data.image_set import ImageSet
from models.data.pair_sampler import PairIndex

Augment = Callable[[torch.Tensor], torch.Tensor]


class PairImages(Dataset[tuple[torch.Tensor, torch.Tensor, torch.Tensor]]):
    """Indexed by ``(i, j, label)`` from a pair sampler -> augmented ``uint8`` images + label."""

    def __init__(self, images: ImageSet, augment: Augment) -> None:
        self.images = images
        self.augment = augment

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, pair: PairIndex) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        first, second, label = pair
        return (
            self.augment(self.images.images[first]),
            self.augment(self.images.images[second]),
            torch.tensor(float(label)),
        )


class LabelledImages(Dataset[tuple[torch.Tensor, torch.Tensor]]):
    """Indexed by image -> augmented ``uint8`` image + its training label."""

    def __init__(self, images: ImageSet, labels: torch.Tensor, augment: Augment) -> None:
        self.images = images
        self.labels = labels
        self.augment = augment

    def __len__(self) -> int:
        return len(self.images)

    def __getitem__(self, index: int) -> tuple[torch.Tensor, torch.Tensor]:
        return self.augment(self.images.images[index]), self.labels[index]
