"""Comparison heads. Every one returns a *similarity*: higher means more alike.

Keeping one sign convention here (negated distance for Euclidean) means no caller ever has
to remember whether a threshold is an upper or a lower bound.
"""

from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field
from torch import nn

ComparisonName = Literal["euclidean", "cosine", "learned_head"]

# Pairs scored per chunk by the learned head's all-pairs matrix (bounds peak memory).
_HEAD_CHUNK_PAIRS = 262_144


class ComparisonSpec(BaseModel):
    """Which comparison turns two embeddings into a score."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: ComparisonName
    hidden_size: int = Field(default=64, gt=0, le=4096, description="learned_head only")


class Comparator(nn.Module):
    """``(B, D), (B, D) -> (B,)`` pair scores and ``(N, D), (M, D) -> (N, M)`` score matrices."""

    score_kind: str = "similarity"

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError

    def matrix(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


class EuclideanComparator(Comparator):
    """Score = minus the Euclidean distance."""

    score_kind = "negative_euclidean_distance"

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        distance: torch.Tensor = torch.linalg.vector_norm(a - b, dim=1)
        return -distance

    def matrix(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        # cdist's matrix-multiply shortcut loses precision for near-identical rows; the
        # exact mode keeps matrix scores equal to pair scores.
        return -torch.cdist(a, b, compute_mode="donot_use_mm_for_euclid_dist")


class CosineComparator(Comparator):
    """Score = cosine similarity in [-1, 1]."""

    score_kind = "cosine_similarity"

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return (F.normalize(a, dim=1) * F.normalize(b, dim=1)).sum(dim=1)

    def matrix(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return F.normalize(a, dim=1) @ F.normalize(b, dim=1).T


class LearnedPairHead(Comparator):
    """A small MLP on ``(v1, v2, |v1 - v2|, v1 * v2)``, made exactly symmetric.

    The raw MLP sees its inputs in order, so the score averages both orders:
    ``s(a, b) = (g(a, b) + g(b, a)) / 2``. Float addition commutes, so the symmetry is exact.
    Scores are logits of "same identity".
    """

    score_kind = "logit"

    def __init__(self, embedding_size: int, hidden_size: int) -> None:
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(4 * embedding_size, hidden_size),
            nn.ReLU(inplace=True),
            nn.Linear(hidden_size, 1),
        )

    def _ordered(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        features = torch.cat([a, b, (a - b).abs(), a * b], dim=1)
        logits: torch.Tensor = self.mlp(features).squeeze(1)
        return logits

    def forward(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        return (self._ordered(a, b) + self._ordered(b, a)) / 2

    def matrix(self, a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
        rows_per_chunk = max(1, _HEAD_CHUNK_PAIRS // max(1, b.shape[0]))
        chunks = []
        for start in range(0, a.shape[0], rows_per_chunk):
            block = a[start : start + rows_per_chunk]
            left = block.repeat_interleave(b.shape[0], dim=0)
            right = b.repeat(block.shape[0], 1)
            chunks.append(self.forward(left, right).view(block.shape[0], b.shape[0]))
        return torch.cat(chunks, dim=0)


def build_comparator(spec: ComparisonSpec, embedding_size: int) -> Comparator:
    """Instantiate the comparison a spec names."""
    if spec.name == "euclidean":
        return EuclideanComparator()
    if spec.name == "cosine":
        return CosineComparator()
    return LearnedPairHead(embedding_size, spec.hidden_size)
