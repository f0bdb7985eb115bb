"""SFace's face-recognition network (OpenCV Zoo, ``face_recognition_sface_2021dec``), in
PyTorch: a MobileFaceNet-style stack trained with the SFace loss on other data than dlib's.

Layout, read off the released ONNX graph: a 3x3 convolution to 32 channels at full
resolution, then 13 depthwise-separable blocks (3x3 depthwise, 1x1 pointwise; each
convolution without bias, followed by batch normalisation and a per-channel PReLU), four
of them with stride 2 (112 -> 7 px), a batch normalisation of the 1024x7x7 map, a linear
layer to 128 and a last batch normalisation. The input is RGB in [0, 255], shifted by
127.5 and scaled by 1/128 (the graph's own first two operations), on the ArcFace 5-point
template at 112x112. Weights: :mod:`models.networks.sface_weights`.
"""

import torch
import torch.nn.functional as F
from torch import nn

INPUT_SIZE = 112
STEM_CHANNELS = 32
# (output channels, stride of the depthwise convolution) per separable block.
BLOCKS: tuple[tuple[int, int], ...] = (
    (64, 1),
    (128, 2),
    (128, 1),
    (256, 2),
    (256, 1),
    (512, 2),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (512, 1),
    (1024, 2),
    (1024, 1),
)
FEATURE_SIDE = INPUT_SIZE // 16
PIXEL_OFFSET, PIXEL_SCALE = 127.5, 1.0 / 128.0
CONV_EPSILON, HEAD_EPSILON = 1e-3, 2e-5


def _conv_unit(
    channels_in: int, channels_out: int, kernel: int, stride: int, groups: int
) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(
            channels_in, channels_out, kernel, stride, kernel // 2, groups=groups, bias=False
        ),
        nn.BatchNorm2d(channels_out, eps=CONV_EPSILON),
        nn.PReLU(channels_out),
    )


class SFaceNet(nn.Module):
    """``(B, 3, 112, 112)`` RGB in [0, 1] -> ``(B, 128)`` face embeddings."""

    def __init__(self, embedding_size: int = 128, normalize: bool = True) -> None:
        super().__init__()
        units = [_conv_unit(3, STEM_CHANNELS, 3, 1, 1)]
        channels = STEM_CHANNELS
        for width, stride in BLOCKS:
            units.append(_conv_unit(channels, channels, 3, stride, channels))  # depthwise
            units.append(_conv_unit(channels, width, 1, 1, 1))  # pointwise
            channels = width
        self.features = nn.Sequential(*units)
        self.features_norm = nn.BatchNorm2d(channels, eps=HEAD_EPSILON)
        self.fc = nn.Linear(channels * FEATURE_SIDE * FEATURE_SIDE, embedding_size)
        self.embedding_norm = nn.BatchNorm1d(embedding_size, eps=HEAD_EPSILON)
        self.normalize = normalize

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        x = (images * 255.0 - PIXEL_OFFSET) * PIXEL_SCALE
        x = self.features_norm(self.features(x))
        embedding: torch.Tensor = self.embedding_norm(self.fc(torch.flatten(x, 1)))
        if self.normalize:
            embedding = F.normalize(embedding, p=2.0, dim=1)
        return embedding
