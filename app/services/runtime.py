"""What the verification services need, assembled once in the lifespan."""

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

from app.core.config import Settings
from app.core.errors import ModalityNotEnabledError
from app.core.metrics import ServiceMetrics
from app.inference.images import ImageLimits
from app.inference.registry import LoadedModel, ModelRegistry
from app.search.gallery_index import ModelKey, SearchIndex

T = TypeVar("T")


@dataclass(frozen=True)
class Runtime:
    settings: Settings
    sessions: sessionmaker[Session]
    registry: ModelRegistry
    index: SearchIndex
    executor: ThreadPoolExecutor
    metrics: ServiceMetrics

    def model(self, modality: str) -> LoadedModel:
        model = self.registry.models.get(modality)
        if model is None:
            why = self.registry.disabled.get(modality, "unknown modality")
            raise ModalityNotEnabledError(f"the {modality} modality is not enabled ({why})")
        return model

    def infer(self, work: Callable[..., T], *args: object) -> T:
        """Run model work in the bounded inference pool and wait for it.

        Callers are request threads, never the event loop; the pool bounds how many
        requests use the CPU or GPU at once.
        """
        return self.executor.submit(work, *args).result()

    @property
    def image_limits(self) -> ImageLimits:
        return ImageLimits(
            max_bytes=self.settings.max_upload_bytes,
            max_pixels=self.settings.max_image_pixels,
            min_side=self.settings.min_image_side,
        )


def model_key(model: LoadedModel) -> ModelKey:
    return ModelKey(model.modality, model.name, model.version)
