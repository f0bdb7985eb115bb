"""The projection every encoder ends with: pooled features -> embedding, optionally unit length."""

import torch
import torch.nn.functional as F
from torch import nn


class EmbeddingHead(nn.Module):
    """``(B, in_features) -> (B, embedding_size)``; L2-normalised when ``normalize``."""

    def __init__(self, in_features: int, embedding_size: int, normalize: bool) -> None:
        super().__init__()
        self.dropout = nn.Dropout(p=0.1)
        self.linear = nn.Linear(in_features, embedding_size)
        # BatchNorm on the embedding keeps its scale stable across losses (common in face work).
        self.norm = nn.BatchNorm1d(embedding_size)
        self.normalize = normalize

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        embedding: torch.Tensor = self.norm(self.linear(self.dropout(features)))
        if self.normalize:
            embedding = F.normalize(embedding, p=2.0, dim=1)
        return embedding
