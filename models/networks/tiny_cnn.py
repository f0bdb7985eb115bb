"""A tiny CNN for very small images (8x8 digits, thumbnails): fast enough for unit tests."""

import torch
import torch.nn.functional as F
from torch import nn

# The embedding keeps a 4x4 spatial layout: for digit-like images *where* strokes are
# matters, and a global pool (or a dense layer trained straight into the loss) collapses
# what distinguishes identities that were not in the training set.
GRID = 4


def _conv_block(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
    )


class TinyCNN(nn.Module):
    """``(B, C, H, W) -> (B, embedding_size)`` for H, W >= 4; ``embedding_size`` must be a
    multiple of 16 (channels x the 4x4 grid)."""

    def __init__(self, in_channels: int, embedding_size: int, normalize: bool, width: int) -> None:
        super().__init__()
        if embedding_size % (GRID * GRID):
            raise ValueError(f"tiny_cnn needs an embedding_size divisible by {GRID * GRID}")
        self.features = nn.Sequential(
            _conv_block(in_channels, width),
            _conv_block(width, width * 2),
            nn.MaxPool2d(2),
            _conv_block(width * 2, width * 4),
            nn.AdaptiveAvgPool2d(GRID),
        )
        self.reduce = nn.Sequential(
            nn.Conv2d(width * 4, embedding_size // (GRID * GRID), kernel_size=1, bias=False),
            nn.BatchNorm2d(embedding_size // (GRID * GRID)),
        )
        self.normalize = normalize

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        embedding = self.reduce(self.features(images)).flatten(1)
        return F.normalize(embedding, dim=1) if self.normalize else embedding
