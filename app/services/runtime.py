"""What the verification services need, assembled once in the lifespan."""

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.errors import ImageRejectedError, ModalityNotEnabledError
from app.core.metrics import ServiceMetrics
from app.inference.images import prepare_image
from app.inference.registry import ModelRegistry, load_configured_registry
from app.search.gallery_index import SearchIndex
from models.serving import InputLimits, PreparedInput, ServedModel
from models.serving.batcher import MicroBatcher

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    sessions: sessionmaker[Session]
    registry: ModelRegistry
    index: SearchIndex
    executor: ThreadPoolExecutor
    metrics: ServiceMetrics
    # One per enabled modality: concurrent requests' images share forward passes.
    batchers: dict[str, MicroBatcher]

    def model(self, modality: str) -> ServedModel:
        model = self.registry.models.get(modality)
        if model is None:
            why = self.registry.disabled.get(modality, "unknown modality")
            raise ModalityNotEnabledError(f"the {modality} modality is not enabled ({why})")
        return model

    def prepare(
        self, model: ServedModel, uploads: list[bytes], single_face: bool = False
    ) -> list[PreparedInput | ImageRejectedError]:
        """Every upload prepared in one trip to the bounded pool, which caps how many
        requests decode and preprocess at once (callers are request threads, never the
        event loop); a rejection is a result, not a stop (the caller decides whether one
        bad image fails the request)."""
        work = self.executor.submit(_prepare_each, model, uploads, self.image_limits, single_face)
        return work.result()

    def embed(self, model: ServedModel, inputs: list[torch.Tensor]) -> np.ndarray:
        """Prepared inputs -> ``float32 (N, D)`` embeddings, through the model's batcher."""
        vectors = self.batchers[model.modality].embed(torch.stack(inputs))
        self.metrics.embeddings.labels(model.modality).inc(len(inputs))
        return vectors.numpy()

    def close(self) -> None:
        """Finish the forward passes already queued; the pool is the owner's to stop."""
        for batcher in self.batchers.values():
            batcher.close()

    @property
    def image_limits(self) -> InputLimits:
        return InputLimits(
            max_bytes=self.settings.max_upload_bytes,
            max_pixels=self.settings.max_image_pixels,
            min_side=self.settings.min_image_side,
        )


def _prepare_each(
    model: ServedModel, uploads: list[bytes], limits: InputLimits, single_face: bool
) -> list[PreparedInput | ImageRejectedError]:
    results: list[PreparedInput | ImageRejectedError] = []
    for data in uploads:
        try:
            results.append(prepare_image(model, data, limits, single_face))
        except ImageRejectedError as exc:
            results.append(exc)
    return results


def open_runtime(
    settings: Settings,
    sessions: sessionmaker[Session],
    index: SearchIndex,
    executor: ThreadPoolExecutor,
    metrics: ServiceMetrics,
) -> Runtime:
    """Everything slow, before the service is ready (the command line's bulk enrolment
    opens the same): the models and their batchers, then every gallery's search matrices."""
    if settings.torch_threads:
        torch.set_num_threads(settings.torch_threads)
    registry = load_configured_registry(settings)
    batchers = {
        modality: _batcher(model, settings, metrics) for modality, model in registry.models.items()
    }
    galleries = index.load_all(sessions)
    logger.info("search matrices loaded for %d galleries", galleries)
    return Runtime(settings, sessions, registry, index, executor, metrics, batchers)


def _batcher(model: ServedModel, settings: Settings, metrics: ServiceMetrics) -> MicroBatcher:
    sizes = metrics.batch_sizes.labels(model.modality)

    def embed(batch: torch.Tensor) -> torch.Tensor:
        sizes.observe(batch.shape[0])
        return model.embed(batch)

    return MicroBatcher(
        embed, settings.batch_max_size, settings.batch_max_wait_ms, name=model.modality
    )
