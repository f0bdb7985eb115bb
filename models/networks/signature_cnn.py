"""Compact CNN for grey signature images (SigNet-like, with batch norm and global pooling)."""

from typing import Literal

import torch
from torch import nn

from models.networks.embedding_head import EmbeddingHead
from models.networks.local_descriptors import LocalDescriptorHead


def _conv(in_channels: int, out_channels: int, kernel: int, stride: int = 1) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(
            in_channels, out_channels, kernel, stride=stride, padding=kernel // 2, bias=False
        ),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


# Rows x columns of the "grid" pooling: signatures are wide, so more columns than rows.
GRID = (2, 3)
# The finer grid of "local" pooling, one descriptor per cell.
LOCAL_GRID = (3, 4)


class SignatureCNN(nn.Module):
    """``(B, 1, 150, 220) -> (B, embedding_size)``; any input of at least 64x64 works.

    Four stages (stride 2 stem, then pooled 5x5 and 3x3 stages) widening from ``width`` to
    ``8 * width`` channels. ``pooling="average"`` averages the last feature map over the whole
    canvas; ``"grid"`` averages it over each cell of a ``GRID`` (rows x columns) and keeps the
    cells apart, so the embedding also says *where* on the canvas each stroke feature lies
    (SigNet's fully connected layers keep that too). ``"local"`` keeps a finer
    ``LOCAL_GRID`` and describes each cell on its own (``LocalDescriptorHead``): two
    signatures are compared part by part. All accept any canvas size.
    """

    def __init__(
        self,
        in_channels: int,
        embedding_size: int,
        normalize: bool,
        width: int,
        pooling: Literal["average", "grid", "local"] = "average",
    ) -> None:
        super().__init__()
        grid = {"average": (1, 1), "grid": GRID, "local": LOCAL_GRID}[pooling]
        cells = grid[0] * grid[1]
        self.features = nn.Sequential(
            _conv(in_channels, width, kernel=7, stride=2),
            nn.MaxPool2d(3, stride=2, padding=1),
            _conv(width, width * 2, kernel=5),
            nn.MaxPool2d(3, stride=2, padding=1),
            _conv(width * 2, width * 4, kernel=3),
            _conv(width * 4, width * 4, kernel=3),
            nn.MaxPool2d(3, stride=2, padding=1),
            _conv(width * 4, width * 8, kernel=3),
            nn.AdaptiveAvgPool2d(grid),
        )
        # Checkpoints name the head's parameters "head.*": both heads keep that name.
        self.head: nn.Module
        if pooling == "local":
            self.head = LocalDescriptorHead(width * 8, cells, embedding_size // cells)
        else:
            self.head = EmbeddingHead(width * 8 * cells, embedding_size, normalize)
        self.flatten = pooling != "local"

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        features = self.features(images)
        embedding: torch.Tensor = self.head(features.flatten(1) if self.flatten else features)
        return embedding
