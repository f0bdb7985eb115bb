"""What the verification services need, assembled once in the lifespan: one
:class:`ModelService` per enabled modality and the :class:`GalleryStore`."""

import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import torch
from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.errors import ModalityNotEnabledError
from app.core.metrics import ServiceMetrics
from app.inference.registry import ModelRegistry, load_configured_registry
from app.search.gallery_index import SearchIndex
from app.services.gallery_store import GalleryStore
from app.services.model_service import ModelService
from models.serving import InputLimits, ServedModel
from models.serving.batcher import MicroBatcher

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    registry: ModelRegistry
    store: GalleryStore
    services: dict[str, ModelService]

    def service(self, modality: str) -> ModelService:
        """The modality's model service; ``modality-not-enabled`` if it has none."""
        service = self.services.get(modality)
        if service is None:
            why = self.registry.disabled.get(modality, "unknown modality")
            raise ModalityNotEnabledError(f"the {modality} modality is not enabled ({why})")
        return service

    def close(self) -> None:
        """Finish the forward passes already queued; the pool is the owner's to stop."""
        for service in self.services.values():
            service.batcher.close()


def image_limits(settings: Settings) -> InputLimits:
    return InputLimits(
        max_bytes=settings.max_upload_bytes,
        max_pixels=settings.max_image_pixels,
        min_side=settings.min_image_side,
    )


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
    services = {
        modality: _service(model, settings, executor, metrics)
        for modality, model in registry.models.items()
    }
    galleries = index.load_all(sessions)
    logger.info("search matrices loaded for %d galleries", galleries)
    return Runtime(settings, registry, GalleryStore(sessions, index, metrics), services)


def _service(
    model: ServedModel, settings: Settings, executor: ThreadPoolExecutor, metrics: ServiceMetrics
) -> ModelService:
    sizes = metrics.batch_sizes.labels(model.modality)

    def embed(batch: torch.Tensor) -> torch.Tensor:
        sizes.observe(batch.shape[0])
        return model.embed(batch)

    batcher = MicroBatcher(
        embed, settings.batch_max_size, settings.batch_max_wait_ms, name=model.modality
    )
    return ModelService(
        model=model,
        batcher=batcher,
        preparation=executor,
        limits=image_limits(settings),
        metrics=metrics,
        default_far=settings.default_far(model.modality),
        calibrated_range_only=settings.explicit_thresholds == "calibrated",
        enrol_single_face=settings.face_enroll_multiple == "reject",
    )
