"""Embedding prepared images and scoring embeddings with a loaded model's comparator.

Scores are similarities (higher = more alike) whatever the comparator, so one rule,
``score >= threshold``, decides every match.
"""

import numpy as np
import torch

from app.inference.registry import LoadedModel
from models.embedding import embed_images


def embed(model: LoadedModel, images: list[torch.Tensor]) -> np.ndarray:
    """``uint8 (C, H, W)`` images -> ``float32 (N, D)`` embeddings, in one batched pass."""
    batch = torch.stack(images)
    vectors = embed_images(model.checkpoint.model, model.preprocessor, batch, model.device)
    return vectors.numpy().astype(np.float32, copy=False)


@torch.inference_mode()
def scores_against(model: LoadedModel, probe: np.ndarray, references: np.ndarray) -> np.ndarray:
    """``(D,), (N, D) -> (N,)`` similarity of the probe to each reference (CPU, exact)."""
    if references.shape[0] == 0:
        return np.empty(0, dtype=np.float32)
    query = torch.from_numpy(np.ascontiguousarray(probe, dtype=np.float32))[None, :]
    matrix = torch.from_numpy(np.ascontiguousarray(references, dtype=np.float32))
    scores: np.ndarray = model.cpu_comparator.matrix(query, matrix)[0].numpy()
    return scores
