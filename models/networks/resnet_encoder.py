"""ResNet encoder for faces and RGB images, on torchvision's ResNet (no pretrained weights)."""

import torch
from torch import nn
from torchvision.models import resnet18, resnet34, resnet50

from models.networks.embedding_head import EmbeddingHead

_BACKBONES = {18: resnet18, 34: resnet34, 50: resnet50}


class ResNetEncoder(nn.Module):
    """``(B, C, 112, 112) -> (B, embedding_size)``; ``depth`` in 18, 34, 50."""

    def __init__(self, in_channels: int, embedding_size: int, normalize: bool, depth: int) -> None:
        super().__init__()
        backbone = _BACKBONES[depth](weights=None)
        if in_channels != 3:
            backbone.conv1 = nn.Conv2d(
                in_channels, 64, kernel_size=7, stride=2, padding=3, bias=False
            )
        feature_size = backbone.fc.in_features
        backbone.fc = nn.Identity()
        self.backbone = backbone
        self.head = EmbeddingHead(feature_size, embedding_size, normalize)

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        embedding: torch.Tensor = self.head(self.backbone(images))
        return embedding
