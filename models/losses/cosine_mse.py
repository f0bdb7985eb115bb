"""Cosine similarity regressed onto the pair label with mean squared error."""

import torch
import torch.nn.functional as F
from torch import nn


class CosineMSELoss(nn.Module):
    """``(B, D), (B, D), (B,) -> ()``: MSE between cos(a, b) and 1 (same) or ``negative_target``."""

    def __init__(self, negative_target: float = 0.0) -> None:
        super().__init__()
        self.negative_target = negative_target

    def forward(self, a: torch.Tensor, b: torch.Tensor, labels: torch.Tensor) -> torch.Tensor:
        cosine = F.cosine_similarity(a, b, dim=1)
        target = torch.where(labels > 0.5, 1.0, self.negative_target).to(cosine.dtype)
        return F.mse_loss(cosine, target)
