"""Batched, gradient-free embedding of preprocessed images: the one inference path."""

from collections.abc import Callable

import torch

from models.preprocessing import Preprocessor
from models.twin import TwinNetwork

# How one batch goes through the network: float32 by default; a served model passes its
# compute path's (``models/serving/compute_path.py``).
Forward = Callable[[TwinNetwork, torch.Tensor], torch.Tensor]


def plain_forward(model: TwinNetwork, batch: torch.Tensor) -> torch.Tensor:
    return model.embed(batch).float().cpu()


@torch.inference_mode()
def embed_images(
    model: TwinNetwork,
    preprocessor: Preprocessor,
    images: torch.Tensor,
    device: torch.device,
    batch_size: int = 64,
    forward: Forward = plain_forward,
) -> torch.Tensor:
    """``uint8 (N, C, H, W) -> float32 (N, D)`` on the CPU; the model must be in eval mode."""
    if images.shape[0] == 0:
        return torch.empty(0, 0)
    chunks = []
    for start in range(0, images.shape[0], batch_size):
        chunk = images[start : start + batch_size]
        if device.type == "cuda":
            # uint8 crosses the bus (a quarter of float32's bytes) from pinned memory,
            # without a synchronisation; the result's copy back is the batch's only one.
            chunk = chunk.pin_memory().to(device, non_blocking=True)
        chunks.append(forward(model, preprocessor.to_input(chunk)))
    return torch.cat(chunks)
