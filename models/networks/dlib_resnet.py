"""dlib's face-recognition ResNet (``dlib_face_recognition_resnet_model_v1``) in PyTorch.

The architecture of dlib's ``anet_type`` (dnn_face_recognition_ex.cpp): a 7x7/2 stem, a
3x3/2 max pool, 14 residual blocks of two 3x3 convolutions each (32, 32, 32, 64↓, 64, 64,
64, 128↓, 128, 128, 256↓, 256, 256, 256↓ channels; ↓ = stride 2), global average pooling
and a 256 -> 128 linear layer without bias. It reproduces dlib's arithmetic exactly:

- batch norm was folded into per-channel affine layers (scale and shift) before release;
- strided convolutions and pools have no padding, 3x3/1 convolutions have padding 1;
- a block's shortcut is its input, average-pooled 2x2/2 in downsampling blocks, and the
  sum is taken as if both tensors were zero-padded to the larger one (channels and, where
  a strided convolution and the pool disagree by one row, spatial size);
- input pixels ``p`` in [0, 255] become ``(p - channel mean) / 256``.

Weights come from dlib's own file (:mod:`models.networks.dlib_weights`); embeddings are not
L2-normalised (dlib compares them by Euclidean distance, same person below 0.6).
"""

import torch
import torch.nn.functional as F
from torch import nn

# (channels, downsample) of the 14 residual blocks, in forward order.
BLOCKS: tuple[tuple[int, bool], ...] = (
    (32, False),
    (32, False),
    (32, False),
    (64, True),
    (64, False),
    (64, False),
    (64, False),
    (128, True),
    (128, False),
    (128, False),
    (256, True),
    (256, False),
    (256, False),
    (256, True),
)
STEM_CHANNELS = 32
FEATURES = 256
INPUT_SIZE = 150
# dlib's input layer subtracts these (red, green, blue) pixel means, then divides by 256.
PIXEL_MEANS = (122.782, 117.001, 104.298)


class Affine(nn.Module):
    """Per-channel ``x * scale + shift``: batch norm with its statistics folded in."""

    def __init__(self, channels: int) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.ones(channels))
        self.shift = nn.Parameter(torch.zeros(channels))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale.view(1, -1, 1, 1) + self.shift.view(1, -1, 1, 1)


def _zero_padded_sum(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """``a + b`` as dlib's ``add_prev`` computes it for tensors of different shapes."""
    if a.shape == b.shape:
        return a + b
    channels, height, width = (max(a.shape[i], b.shape[i]) for i in (1, 2, 3))
    total = a.new_zeros((a.shape[0], channels, height, width))
    total[:, : a.shape[1], : a.shape[2], : a.shape[3]] += a
    total[:, : b.shape[1], : b.shape[2], : b.shape[3]] += b
    return total


class ResidualBlock(nn.Module):
    def __init__(self, in_channels: int, channels: int, downsample: bool) -> None:
        super().__init__()
        stride, padding = (2, 0) if downsample else (1, 1)
        self.conv1 = nn.Conv2d(in_channels, channels, 3, stride=stride, padding=padding)
        self.affine1 = Affine(channels)
        self.conv2 = nn.Conv2d(channels, channels, 3, padding=1)
        self.affine2 = Affine(channels)
        self.downsample = downsample

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = self.affine2(self.conv2(F.relu(self.affine1(self.conv1(x)))))
        shortcut = F.avg_pool2d(x, 2, 2) if self.downsample else x
        return F.relu(_zero_padded_sum(y, shortcut))


class DlibResNet(nn.Module):
    """``(B, 3, 150, 150)`` RGB in [0, 1] -> ``(B, 128)`` face descriptors."""

    pixel_means: torch.Tensor

    def __init__(self, embedding_size: int = 128, normalize: bool = False) -> None:
        super().__init__()
        self.stem = nn.Conv2d(3, STEM_CHANNELS, 7, stride=2)
        self.stem_affine = Affine(STEM_CHANNELS)
        blocks, channels = [], STEM_CHANNELS
        for width, downsample in BLOCKS:
            blocks.append(ResidualBlock(channels, width, downsample))
            channels = max(channels, width)
        self.blocks = nn.Sequential(*blocks)
        self.fc = nn.Linear(FEATURES, embedding_size, bias=False)
        self.normalize = normalize
        means = torch.tensor(PIXEL_MEANS).view(1, 3, 1, 1)
        self.register_buffer("pixel_means", means, persistent=False)  # a constant, not a weight

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = (images * 255.0 - self.pixel_means) / 256.0
        # Channels-last activations let oneDNN pick faster convolution kernels on CPU
        # (measured 10-15 % on this network); the arithmetic is unchanged (to 3e-7).
        x = x.contiguous(memory_format=torch.channels_last)
        x = F.max_pool2d(F.relu(self.stem_affine(self.stem(x))), 3, 2)
        x = self.blocks(x).mean(dim=(2, 3))
        embedding: torch.Tensor = self.fc(x)
        if self.normalize:
            embedding = F.normalize(embedding, p=2.0, dim=1)
        return embedding
