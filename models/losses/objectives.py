"""Objectives: a loss plus the batch shape it consumes (pairs or labelled images).

Metric-learning losses and miners come from pytorch-metric-learning; the distance object
passed to them matches the twin network's comparator, so training and scoring agree.
"""

from typing import Literal

import torch
import torch.nn.functional as F
from pydantic import BaseModel, ConfigDict, Field
from pytorch_metric_learning import distances, losses, miners
from torch import nn

from models.losses.cosine_mse import CosineMSELoss
from models.twin import TwinNetwork

LossName = Literal["contrastive", "triplet", "cosine_mse", "bce_head", "arcface", "cosface"]
MiningName = Literal["semihard", "batch_hard", "hard", "all"]
BatchKind = Literal["pairs", "labels"]

# Which comparison each loss trains for; the first is the default.
COMPATIBLE_COMPARISONS: dict[str, tuple[str, ...]] = {
    "contrastive": ("euclidean",),
    "triplet": ("euclidean", "cosine"),
    "cosine_mse": ("cosine",),
    "bce_head": ("learned_head",),
    "arcface": ("cosine",),
    "cosface": ("cosine",),
}


class LossSpec(BaseModel):
    """The loss and its hyper-parameters."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: LossName
    margin: float | None = Field(
        default=None,
        gt=0,
        description="contrastive: negative margin (1.0); triplet: margin (0.2); "
        "arcface: degrees (28.6); cosface: additive cosine margin (0.35)",
    )
    positive_margin: float = Field(
        default=0.0, ge=0, description="contrastive: positives closer than this cost nothing"
    )
    mining: MiningName = Field(default="semihard", description="triplet only")
    scale: float = Field(default=30.0, gt=0, description="arcface / cosface logit scale")
    negative_target: float = Field(default=0.0, ge=-1, le=1, description="cosine_mse only")

    @property
    def batch_kind(self) -> BatchKind:
        return "pairs" if self.name in ("contrastive", "cosine_mse", "bce_head") else "labels"


class Objective(nn.Module):
    """Computes the training loss of a twin network on one batch."""

    batch_kind: BatchKind

    def pair_loss(
        self, model: TwinNetwork, first: torch.Tensor, second: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} trains on labelled batches")

    def label_loss(
        self, model: TwinNetwork, images: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        raise NotImplementedError(f"{type(self).__name__} trains on pairs")


def _split_embeddings(
    model: TwinNetwork, first: torch.Tensor, second: torch.Tensor
) -> tuple[torch.Tensor, torch.Tensor]:
    embeddings = model.embed_for_loss(torch.cat([first, second], dim=0))
    left, right = embeddings[: first.shape[0]], embeddings[first.shape[0] :]
    return left, right


class ContrastiveObjective(Objective):
    """Hadsell-Chopra-LeCun contrastive loss on explicit (balanced) pairs."""

    batch_kind = "pairs"

    def __init__(self, margin: float, positive_margin: float) -> None:
        super().__init__()
        self.loss = losses.ContrastiveLoss(
            pos_margin=positive_margin,
            neg_margin=margin,
            distance=distances.LpDistance(normalize_embeddings=False, p=2, power=1),
        )

    def pair_loss(
        self, model: TwinNetwork, first: torch.Tensor, second: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        embeddings = model.embed_for_loss(torch.cat([first, second], dim=0))
        count = first.shape[0]
        positive = torch.nonzero(labels > 0.5).squeeze(1)
        negative = torch.nonzero(labels <= 0.5).squeeze(1)
        # pytorch-metric-learning's pair tuple: (anchor, positive, anchor, negative) indices.
        indices = (positive, positive + count, negative, negative + count)
        loss: torch.Tensor = self.loss(embeddings, None, indices)
        return loss


class CosineMSEObjective(Objective):
    batch_kind = "pairs"

    def __init__(self, negative_target: float) -> None:
        super().__init__()
        self.loss = CosineMSELoss(negative_target)

    def pair_loss(
        self, model: TwinNetwork, first: torch.Tensor, second: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        left, right = _split_embeddings(model, first, second)
        loss: torch.Tensor = self.loss(left, right, labels)
        return loss


class BCEHeadObjective(Objective):
    """Binary cross-entropy on the learned comparison head's logits."""

    batch_kind = "pairs"

    def pair_loss(
        self, model: TwinNetwork, first: torch.Tensor, second: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        return F.binary_cross_entropy_with_logits(model(first, second), labels)


def _distance(comparison: str) -> distances.BaseDistance:
    if comparison == "cosine":
        return distances.CosineSimilarity()
    return distances.LpDistance(normalize_embeddings=False, p=2, power=1)


class TripletObjective(Objective):
    """Triplet margin loss over triplets mined online from class-balanced batches."""

    batch_kind = "labels"

    def __init__(self, margin: float, mining: MiningName, comparison: str) -> None:
        super().__init__()
        distance = _distance(comparison)
        self.loss = losses.TripletMarginLoss(margin=margin, distance=distance)
        self.miner: miners.BaseMiner
        if mining == "batch_hard":
            self.miner = miners.BatchHardMiner(distance=distance)
        else:
            kind = {"semihard": "semihard", "hard": "hard", "all": "all"}[mining]
            self.miner = miners.TripletMarginMiner(
                margin=margin, type_of_triplets=kind, distance=distance
            )

    def label_loss(
        self, model: TwinNetwork, images: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        embeddings = model.embed_for_loss(images)
        triplets = self.miner(embeddings, labels)
        loss: torch.Tensor = self.loss(embeddings, labels, triplets)
        return loss


class MarginSoftmaxObjective(Objective):
    """ArcFace / CosFace: a classifier over training identities with an angular margin.

    Its class-weight matrix is trained alongside the encoder but not shipped: only the
    encoder's embeddings are compared at test time.
    """

    batch_kind = "labels"

    def __init__(self, loss: losses.BaseMetricLossFunction, num_classes: int) -> None:
        super().__init__()
        self.loss = loss
        self.num_classes = num_classes

    def label_loss(
        self, model: TwinNetwork, images: torch.Tensor, labels: torch.Tensor
    ) -> torch.Tensor:
        genuine = labels < self.num_classes  # forgeries carry labels past the class range
        embeddings = model.embed_for_loss(images)
        loss: torch.Tensor = self.loss(embeddings[genuine], labels[genuine])
        return loss


def build_objective(
    spec: LossSpec, comparison: str, embedding_size: int, num_classes: int
) -> Objective:
    """Instantiate a loss spec for a comparison and (margin losses) a class count."""
    if spec.name == "contrastive":
        return ContrastiveObjective(spec.margin or 1.0, spec.positive_margin)
    if spec.name == "cosine_mse":
        return CosineMSEObjective(spec.negative_target)
    if spec.name == "bce_head":
        return BCEHeadObjective()
    if spec.name == "triplet":
        return TripletObjective(spec.margin or 0.2, spec.mining, comparison)
    if spec.name == "arcface":
        arc = losses.ArcFaceLoss(
            num_classes, embedding_size, margin=spec.margin or 28.6, scale=spec.scale
        )
        return MarginSoftmaxObjective(arc, num_classes)
    cos = losses.CosFaceLoss(
        num_classes, embedding_size, margin=spec.margin or 0.35, scale=spec.scale
    )
    return MarginSoftmaxObjective(cos, num_classes)
