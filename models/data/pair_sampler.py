"""Balanced pair sampling: half genuine pairs, half negatives, skilled forgeries as hard ones."""

from collections import defaultdict
from collections.abc import Iterator, Sequence

import torch
from torch.utils.data import Sampler

from models.errors import DatasetError

PairIndex = tuple[int, int, int]  # (first image, second image, label: 1 same / 0 different)


class BalancedPairSampler(Sampler[PairIndex]):
    """Yields ``pairs_per_epoch`` pairs, alternating positive and negative.

    Positives are two distinct genuine images of one identity. A negative pairs a genuine
    image with, at probability ``skilled_fraction`` and when the identity has any, one of its
    skilled forgeries; otherwise with a genuine image of another identity. Identities are drawn
    uniformly so large classes do not dominate. Deterministic for a given seed and epoch.
    """

    def __init__(
        self,
        identities: Sequence[str],
        is_forgery: Sequence[bool],
        pairs_per_epoch: int,
        skilled_fraction: float = 0.5,
        seed: int = 0,
    ) -> None:
        genuine: dict[str, list[int]] = defaultdict(list)
        forged: dict[str, list[int]] = defaultdict(list)
        for index, (name, fake) in enumerate(zip(identities, is_forgery, strict=True)):
            (forged if fake else genuine)[name].append(index)
        self._genuine = dict(genuine)
        self._forged = dict(forged)
        self._with_positives = sorted(n for n, idx in genuine.items() if len(idx) >= 2)
        self._names = sorted(genuine)
        self._position = {name: i for i, name in enumerate(self._names)}
        if not self._with_positives:
            raise DatasetError("no identity has two genuine images: positive pairs are impossible")
        if len(self._names) < 2 and not self._forged:
            raise DatasetError("need two identities or skilled forgeries to form negative pairs")
        self.pairs_per_epoch = pairs_per_epoch
        self.skilled_fraction = skilled_fraction
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        """Pairs differ per epoch but are reproducible."""
        self.epoch = epoch

    def __len__(self) -> int:
        return self.pairs_per_epoch

    def __iter__(self) -> Iterator[PairIndex]:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        for step in range(self.pairs_per_epoch):
            yield self._positive(generator) if step % 2 == 0 else self._negative(generator)

    def _pick(self, options: Sequence[int] | Sequence[str], generator: torch.Generator) -> int:
        return int(torch.randint(len(options), (1,), generator=generator))

    def _positive(self, generator: torch.Generator) -> PairIndex:
        name = self._with_positives[self._pick(self._with_positives, generator)]
        images = self._genuine[name]
        first, second = torch.randperm(len(images), generator=generator)[:2].tolist()
        return images[first], images[second], 1

    def _negative(self, generator: torch.Generator) -> PairIndex:
        name = self._names[self._pick(self._names, generator)]
        anchor = self._genuine[name][self._pick(self._genuine[name], generator)]
        forgeries = self._forged.get(name, [])
        use_skilled = forgeries and (
            len(self._names) < 2 or float(torch.rand(1, generator=generator)) < self.skilled_fraction
        )
        if use_skilled:
            return anchor, forgeries[self._pick(forgeries, generator)], 0
        other_index = self._pick(self._names[:-1], generator)
        # Skip over the anchor's own identity without a rejection loop.
        other = self._names[other_index + (other_index >= self._position[name])]
        return anchor, self._genuine[other][self._pick(self._genuine[other], generator)], 0
