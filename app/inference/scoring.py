"""Embedding prepared images and scoring embeddings with a loaded model's comparator.

Scores are similarities (higher = more alike) whatever the comparator, so one rule,
``score >= threshold``, decides every match.
"""

import numpy as np
import torch

from app.inference.registry import LoadedModel
from models.embedding import embed_images
from models.reference_scoring import scores_given_spread, shrunk_spread


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


def subject_score(model: LoadedModel, scores: np.ndarray, references: np.ndarray) -> float:
    """One subject's score from the probe's ``(k,)`` scores against its ``(k, D)`` references,
    by the model's reference scoring (the rule its thresholds were calibrated on). The spread
    comes from :func:`reference_spreads`, as identify's does, so both give the same score."""
    scoring = model.checkpoint.metadata.reference_scoring
    spread = None
    if scoring.needs_reference_scores:
        spread = float(reference_spreads(model, references[None])[0])
    return float(scores_given_spread(scores, scoring, spread))


@torch.inference_mode()
def reference_spreads(model: LoadedModel, references: np.ndarray) -> np.ndarray:
    """``(S, k, D)``: S subjects of k references each -> ``(S,)`` their spreads (how alike
    each subject's references are, shrunk as the model's scoring says), in k(k-1)/2
    batched comparisons rather than one small matrix per subject."""
    stacked = torch.from_numpy(np.ascontiguousarray(references, dtype=np.float32))
    count, k = stacked.shape[0], stacked.shape[1]
    sums = torch.zeros(count, dtype=torch.float64)
    for i in range(k):
        for j in range(i + 1, k):
            sums += model.cpu_comparator(stacked[:, i], stacked[:, j]).double()
    return shrunk_spread(sums.numpy(), k, model.checkpoint.metadata.reference_scoring)
