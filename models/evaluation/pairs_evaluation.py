"""Score a pairs file with a checkpoint: each distinct image is loaded and embedded once."""

import logging
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import torch
from pydantic import BaseModel

from models.data.pairs_file import Pair
from models.errors import DatasetError, ImageError
from models.evaluation.summary import VerificationSummary, summarise
from models.preprocessing import load_image
from models.serving import ServedModel

logger = logging.getLogger(__name__)


class EvaluationReport(BaseModel):
    checkpoint: str
    model: str
    compute_path: str = "fp32"
    pairs_file: str
    summary: VerificationSummary
    images: int
    unusable_images: dict[str, str]
    pairs_skipped: int
    seconds: float
    images_per_second: float


class ScoredPairsFile(BaseModel):
    scores: list[float]
    labels: list[int]
    kinds: list[str]


def evaluate_pairs(
    model: ServedModel, pairs: list[Pair], batch_size: int = 64, workers: int = 4
) -> tuple[ScoredPairsFile, dict[str, str], int]:
    """Returns the scored pairs, unusable images (path -> reason) and how many were embedded.

    Pairs that involve an unusable image are dropped (and logged), not fatal.
    """
    preprocessor = model.preprocessor
    distinct = sorted({p for pair in pairs for p in (pair.a, pair.b)})

    def prepare(path: Path) -> torch.Tensor | str:
        try:
            return preprocessor.prepare(load_image(path))
        except ImageError as exc:
            return str(exc)

    with ThreadPoolExecutor(max_workers=workers) as pool:
        prepared = list(pool.map(prepare, distinct))
    unusable = {str(p): r for p, r in zip(distinct, prepared, strict=True) if isinstance(r, str)}
    for path, reason in unusable.items():
        logger.warning("cannot use %s: %s", path, reason)
    usable = [
        (p, t) for p, t in zip(distinct, prepared, strict=True) if isinstance(t, torch.Tensor)
    ]
    if not usable:
        return ScoredPairsFile(scores=[], labels=[], kinds=[]), unusable, 0
    row = {path: index for index, (path, _) in enumerate(usable)}
    embeddings = model.embed(torch.stack([t for _, t in usable]), batch_size)
    kept = [pair for pair in pairs if pair.a in row and pair.b in row]
    first = torch.tensor([row[pair.a] for pair in kept], dtype=torch.int64)
    second = torch.tensor([row[pair.b] for pair in kept], dtype=torch.int64)
    with torch.inference_mode():
        scores = model.comparator(
            embeddings[first].to(model.device), embeddings[second].to(model.device)
        )
    return (
        ScoredPairsFile(
            scores=scores.double().cpu().tolist(),
            labels=[pair.label for pair in kept],
            kinds=[pair.kind for pair in kept],
        ),
        unusable,
        len(usable),
    )


def evaluate_report(
    model: ServedModel, pairs: list[Pair], pairs_path: Path, batch_size: int = 64
) -> tuple[EvaluationReport, ScoredPairsFile]:
    started = time.perf_counter()
    scored, unusable, embedded = evaluate_pairs(model, pairs, batch_size)
    seconds = time.perf_counter() - started
    if len(set(scored.labels)) < 2:
        raise DatasetError(
            f"{pairs_path}: need both same (1) and different (0) pairs with usable images; "
            f"{len(scored.labels)} pairs could be scored"
        )
    summary = summarise(
        np.asarray(scored.scores), np.asarray(scored.labels), np.asarray(scored.kinds)
    )
    report = EvaluationReport(
        checkpoint=str(model.path),
        model=str(model.identity),
        compute_path=model.compute_path.name,
        pairs_file=str(pairs_path),
        summary=summary,
        images=embedded,
        unusable_images=unusable,
        pairs_skipped=len(pairs) - len(scored.scores),
        seconds=round(seconds, 3),
        images_per_second=round(embedded / seconds, 1) if seconds > 0 else 0.0,
    )
    return report, scored
