"""An in-memory labelled image collection: preprocessed ``uint8`` tensors plus identities.

Preprocessing runs once per image when the set is built; epochs then only augment and
normalise, which keeps CPU training fast.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field

import torch


@dataclass(frozen=True)
class SkippedImage:
    """An image left out of a dataset, and why."""

    path: str
    reason: str


@dataclass
class ImageSet:
    """``images`` is ``uint8 (N, C, H, W)``; ``identities[i]`` names the identity image ``i``
    shows (or imitates, when ``is_forgery[i]``)."""

    images: torch.Tensor
    identities: list[str]
    is_forgery: torch.Tensor
    paths: list[str]
    skipped: list[SkippedImage] = field(default_factory=list)

    def __post_init__(self) -> None:
        count = self.images.shape[0]
        if not (len(self.identities) == self.is_forgery.shape[0] == len(self.paths) == count):
            raise ValueError("images, identities, is_forgery and paths must have equal length")

    def __len__(self) -> int:
        return int(self.images.shape[0])

    @property
    def identity_names(self) -> list[str]:
        """Sorted distinct identities."""
        return sorted(set(self.identities))

    def identity_ids(self) -> torch.Tensor:
        """``(N,)`` int64 index of each image's identity in :attr:`identity_names`."""
        index = {name: i for i, name in enumerate(self.identity_names)}
        return torch.tensor([index[name] for name in self.identities], dtype=torch.int64)

    def subset(self, indices: Sequence[int]) -> "ImageSet":
        chosen = torch.as_tensor(list(indices), dtype=torch.int64)
        return ImageSet(
            images=self.images[chosen],
            identities=[self.identities[i] for i in chosen.tolist()],
            is_forgery=self.is_forgery[chosen],
            paths=[self.paths[i] for i in chosen.tolist()],
            skipped=list(self.skipped),
        )

    def renamed(self, prefix: str) -> "ImageSet":
        """The same images with every identity named ``prefix + identity``."""
        return ImageSet(
            images=self.images,
            identities=[prefix + name for name in self.identities],
            is_forgery=self.is_forgery,
            paths=[prefix + path for path in self.paths],
            skipped=list(self.skipped),
        )

    @staticmethod
    def concatenate(sets: Sequence["ImageSet"]) -> "ImageSet":
        """One set holding every image of ``sets``, in order (identities must not clash)."""
        owners: dict[str, int] = {}
        for index, image_set in enumerate(sets):
            for name in image_set.identity_names:
                if owners.setdefault(name, index) != index:
                    raise ValueError(f"identity {name!r} appears in two image sets")
        return ImageSet(
            images=torch.cat([s.images for s in sets]),
            identities=[name for s in sets for name in s.identities],
            is_forgery=torch.cat([s.is_forgery for s in sets]),
            paths=[path for s in sets for path in s.paths],
            skipped=[skipped for s in sets for skipped in s.skipped],
        )

    def with_identities(self, names: Sequence[str]) -> "ImageSet":
        """The images of the given identities (genuine and forgeries)."""
        wanted = set(names)
        return self.subset([i for i, name in enumerate(self.identities) if name in wanted])
