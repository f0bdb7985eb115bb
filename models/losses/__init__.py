"""Training objectives: contrastive, triplet with mining, cosine-MSE, BCE head, ArcFace/CosFace."""

from models.losses.objectives import LossSpec, Objective, build_objective

__all__ = ["LossSpec", "Objective", "build_objective"]
