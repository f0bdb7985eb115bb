"""A small MLP that metric losses act on during training only (see ``build_projection``)."""

import torch
import torch.nn.functional as F
from torch import nn


class ProjectionHead(nn.Module):
    """``(B, embedding_size) -> (B, projection_size)``; L2-normalised when ``normalize``."""

    def __init__(self, embedding_size: int, projection_size: int, normalize: bool) -> None:
        super().__init__()
        self.mlp = nn.Sequential(
            nn.Linear(embedding_size, embedding_size),
            nn.BatchNorm1d(embedding_size),
            nn.ReLU(inplace=True),
            nn.Linear(embedding_size, projection_size),
        )
        self.normalize = normalize

    def forward(self, embedding: torch.Tensor) -> torch.Tensor:
        projected: torch.Tensor = self.mlp(embedding)
        return F.normalize(projected, dim=1) if self.normalize else projected
