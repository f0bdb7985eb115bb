"""Class-balanced batches for triplet mining and margin-softmax losses.

pytorch-metric-learning's :class:`MPerClassSampler` picks ``m`` genuine images per identity;
each batch is then topped up with skilled forgeries of the identities it holds, labelled so
they can only ever be negatives.
"""

from collections import defaultdict
from collections.abc import Iterator

import numpy as np
import torch
from pytorch_metric_learning.samplers import MPerClassSampler
from torch.utils.data import Sampler


def mining_labels(identity_ids: torch.Tensor, is_forgery: torch.Tensor) -> torch.Tensor:
    """``(N,) -> (N,)`` labels: genuine images keep their identity id; each forgery gets a
    label of its own, so miners never treat two forgeries (or a forgery and its target) as
    a positive pair."""
    labels = identity_ids.clone()
    offset = int(identity_ids.max()) + 1
    forged = torch.nonzero(is_forgery).squeeze(1)
    labels[forged] = offset + torch.arange(forged.numel())
    return labels


class ClassBalancedBatchSampler(Sampler[list[int]]):
    """Batches of ``batch_size`` genuine images, ``m_per_class`` per identity, plus up to
    ``forgeries_per_class`` skilled forgeries for each identity in the batch."""

    def __init__(
        self,
        identity_ids: torch.Tensor,
        is_forgery: torch.Tensor,
        batch_size: int,
        m_per_class: int,
        batches_per_epoch: int,
        forgeries_per_class: int = 0,
        seed: int = 0,
    ) -> None:
        genuine = torch.nonzero(~is_forgery).squeeze(1)
        self._genuine_indices = genuine.tolist()
        self._genuine_labels = identity_ids[genuine].tolist()
        self._label_of = dict(zip(self._genuine_indices, self._genuine_labels, strict=True))
        forged_by_identity: dict[int, list[int]] = defaultdict(list)
        for index in torch.nonzero(is_forgery).squeeze(1).tolist():
            forged_by_identity[int(identity_ids[index])].append(index)
        self._forged = dict(forged_by_identity)
        self.batch_size = batch_size
        self.m_per_class = m_per_class
        self.batches_per_epoch = batches_per_epoch
        self.forgeries_per_class = forgeries_per_class
        self.seed = seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return self.batches_per_epoch

    def __iter__(self) -> Iterator[list[int]]:
        generator = torch.Generator().manual_seed(self.seed * 1_000_003 + self.epoch)
        inner = MPerClassSampler(
            self._genuine_labels,
            m=self.m_per_class,
            batch_size=self.batch_size,
            length_before_new_iter=self.batch_size * self.batches_per_epoch,
        )
        # MPerClassSampler draws from numpy's global generator; seed it for reproducibility.
        np.random.seed(int(torch.randint(2**31 - 1, (1,), generator=generator)))
        order = list(iter(inner))
        for start in range(0, len(order) - self.batch_size + 1, self.batch_size):
            batch = [self._genuine_indices[i] for i in order[start : start + self.batch_size]]
            yield batch + self._forgeries_for(batch, generator)

    def _forgeries_for(self, batch: list[int], generator: torch.Generator) -> list[int]:
        if self.forgeries_per_class <= 0:
            return []
        labels = {self._label_of[i] for i in batch}
        extra: list[int] = []
        for label in sorted(labels):
            options = self._forged.get(label, [])
            if options:
                picks = torch.randperm(len(options), generator=generator)[: self.forgeries_per_class]
                extra.extend(options[i] for i in picks.tolist())
        return extra

