"""One encoder, applied to both inputs, and a comparator: the twin (Siamese) network."""

import torch
from torch import nn

from models.twin.comparators import Comparator


class TwinNetwork(nn.Module):
    """Shares a single encoder between both branches, so both inputs live in one embedding space."""

    def __init__(
        self,
        encoder: nn.Module,
        comparator: Comparator,
        projection: nn.Module | None = None,
        mirror_average: bool = False,
    ) -> None:
        super().__init__()
        self.mirror_average = mirror_average
        self.encoder = encoder
        self.comparator = comparator
        # Training only: losses may act on a projection of the embedding. Checkpoints
        # leave it out, so serving never sees it.
        self.projection = projection

    def embed(self, images: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W) -> (B, D)``."""
        if self.mirror_average and not self.training:
            # A face and its mirror image are the same person: averaging the two embeddings
            # cancels part of what one side's pose and lighting added (test-time
            # augmentation, one batch of 2B).
            plain, mirrored = self.encoder(torch.cat([images, images.flip(-1)])).chunk(2)
            averaged: torch.Tensor = (plain + mirrored) / 2
            return averaged
        embedding: torch.Tensor = self.encoder(images)
        return embedding

    def embed_for_loss(self, images: torch.Tensor) -> torch.Tensor:
        """What metric losses see: the projection of the embedding when there is one."""
        embedding = self.embed(images)
        if self.projection is None:
            return embedding
        projected: torch.Tensor = self.projection(embedding)
        return projected

    def forward(self, first: torch.Tensor, second: torch.Tensor) -> torch.Tensor:
        """``(B, C, H, W), (B, C, H, W) -> (B,)`` similarity scores.

        Both branches go through the encoder in one batch: one set of weights, and batch-norm
        statistics computed over both sides alike.
        """
        embeddings = self.embed(torch.cat([first, second], dim=0))
        left, right = embeddings[: first.shape[0]], embeddings[first.shape[0] :]
        scores: torch.Tensor = self.comparator(left, right)
        return scores
