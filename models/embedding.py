"""Batched, gradient-free embedding of preprocessed images: the one inference path."""

import torch

from models.preprocessing import Preprocessor
from models.twin import TwinNetwork


@torch.inference_mode()
def embed_images(
    model: TwinNetwork,
    preprocessor: Preprocessor,
    images: torch.Tensor,
    device: torch.device,
    batch_size: int = 64,
) -> torch.Tensor:
    """``uint8 (N, C, H, W) -> float32 (N, D)`` on the CPU; the model must be in eval mode."""
    if images.shape[0] == 0:
        return torch.empty(0, 0)
    chunks = []
    for start in range(0, images.shape[0], batch_size):
        batch = preprocessor.to_input(images[start : start + batch_size]).to(device)
        chunks.append(model.embed(batch).float().cpu())
    return torch.cat(chunks)
