"""Every pair of a labelled image set, scored: the validation protocol used during training.

Positives: two genuine images of one identity. Negatives: a genuine image of one identity
against a genuine image of another ("random") or against a skilled forgery of the same
identity ("skilled"). Forgery-forgery and cross-identity forgery pairs are not scored.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import NDArray

from models.twin import Comparator

_CHUNK = 65_536  # pairs scored at once: bounds the gathered embedding copies


@dataclass(frozen=True)
class ScoredPairs:
    scores: NDArray[np.float64]
    labels: NDArray[np.int64]
    kinds: NDArray[np.str_]


def against(trials: ScoredPairs, kind: str) -> ScoredPairs:
    """The positive trials and the negatives of one kind."""
    chosen = (trials.labels == 1) | (trials.kinds == kind)
    return ScoredPairs(trials.scores[chosen], trials.labels[chosen], trials.kinds[chosen])


def pool(parts: Sequence[ScoredPairs]) -> ScoredPairs:
    """Several sets of trials as one."""
    return ScoredPairs(
        np.concatenate([p.scores for p in parts]),
        np.concatenate([p.labels for p in parts]),
        np.concatenate([p.kinds for p in parts]),
    )


@dataclass(frozen=True)
class ProtocolPairs:
    """Index pairs ``(first[i], second[i])`` of the protocol and each pair's kind."""

    first: torch.Tensor
    second: torch.Tensor
    kinds: NDArray[np.str_]

    @property
    def labels(self) -> NDArray[np.int64]:
        labels: NDArray[np.int64] = (self.kinds == "genuine").astype(np.int64)
        return labels


def protocol_pairs(
    identity_ids: torch.Tensor,
    is_forgery: torch.Tensor,
    max_random_negatives: int = 500_000,
    seed: int = 0,
) -> ProtocolPairs:
    """Every positive and skilled pair, and random negatives subsampled to
    ``max_random_negatives`` with ``seed`` when there are more."""
    first, second = torch.triu_indices(len(identity_ids), len(identity_ids), offset=1)
    first, second = first.to(identity_ids.device), second.to(identity_ids.device)
    same = identity_ids[first] == identity_ids[second]
    forged_first, forged_second = is_forgery[first], is_forgery[second]
    both_genuine = ~forged_first & ~forged_second
    positive = same & both_genuine
    random_negative = ~same & both_genuine
    skilled = same & (forged_first ^ forged_second)
    random_index = torch.nonzero(random_negative).squeeze(1)
    if random_index.numel() > max_random_negatives:
        generator = torch.Generator().manual_seed(seed)
        keep = torch.randperm(random_index.numel(), generator=generator)[:max_random_negatives]
        random_index = random_index[keep.sort().values.to(random_index.device)]
    selected = [torch.nonzero(positive).squeeze(1), random_index, torch.nonzero(skilled).squeeze(1)]
    kinds = np.concatenate(
        [
            np.full(len(part), name)
            for part, name in zip(selected, ("genuine", "random", "skilled"), strict=True)
        ]
    )
    index = torch.cat(selected)
    return ProtocolPairs(first[index], second[index], kinds)


def score_all_pairs(
    embeddings: torch.Tensor,
    comparator: Comparator,
    identity_ids: torch.Tensor,
    is_forgery: torch.Tensor,
    max_random_negatives: int = 500_000,
    seed: int = 0,
) -> ScoredPairs:
    """``(N, D)`` embeddings -> scores of the protocol's pairs."""
    pairs = protocol_pairs(identity_ids, is_forgery, max_random_negatives, seed)
    with torch.inference_mode():
        total = pairs.first.numel()
        scores = torch.cat(
            [
                torch.empty(0),
                *(
                    comparator(
                        embeddings[pairs.first[start : start + _CHUNK]],
                        embeddings[pairs.second[start : start + _CHUNK]],
                    ).cpu()
                    for start in range(0, total, _CHUNK)
                ),
            ]
        )
    return ScoredPairs(scores.double().numpy(), pairs.labels, pairs.kinds)
