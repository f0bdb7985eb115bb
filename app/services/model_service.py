"""A served model as the services use it: how its uploads are prepared, its batched
forward pass, and the rule that turns a request's threshold into a decision.

The services take one of these and a :class:`~app.services.gallery_store.GalleryStore` as
plain arguments; which model serves a modality, and with which settings, is decided once,
when the runtime is opened.
"""

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
import torch

from app.core.errors import ImageRejectedError
from app.core.metrics import ServiceMetrics
from app.inference.images import prepare_image
from app.services.thresholds import DecisionRule, Threshold, decision_rule
from models.serving import InputLimits, PreparedInput, ServedModel
from models.serving.batcher import MicroBatcher


@dataclass(frozen=True)
class ModelService:
    model: ServedModel
    batcher: MicroBatcher
    # The bounded pool that decodes and preprocesses (``inference_threads``): it caps how
    # many uploads are prepared at once, and keeps each thread's detectors warm.
    preparation: ThreadPoolExecutor
    limits: InputLimits
    metrics: ServiceMetrics
    default_far: float
    # An explicit threshold must lie within the calibrated range (explicit_thresholds).
    calibrated_range_only: bool = True
    # Enrolment refuses a face photo showing a second face (face_enroll_multiple=reject).
    enrol_single_face: bool = False

    @property
    def modality(self) -> str:
        return self.model.modality

    def prepare(
        self, uploads: list[bytes], single_face: bool = False
    ) -> list[PreparedInput | ImageRejectedError]:
        """Every upload prepared in one trip to the pool (callers are request threads,
        never the event loop); a rejection is a result, not a stop (the caller decides
        whether one bad image fails the request)."""
        work = self.preparation.submit(_prepare_each, self.model, uploads, self.limits, single_face)
        return work.result()

    def embed(self, inputs: list[torch.Tensor]) -> np.ndarray:
        """Prepared inputs -> ``float32 (N, D)`` embeddings, through the model's batcher."""
        vectors = self.batcher.embed(torch.stack(inputs))
        self.metrics.embeddings.labels(self.modality).inc(len(inputs))
        return vectors.numpy()

    def prepare_probes(self, *probes: bytes) -> list[PreparedInput]:
        """Every probe prepared; the first that cannot be used fails the request with its
        reason."""
        images = []
        for result in self.prepare(list(probes)):
            if isinstance(result, ImageRejectedError):
                raise result
            images.append(result)
        return images

    def embed_probes(self, *probes: bytes) -> tuple[np.ndarray, list[PreparedInput]]:
        """The probes' embeddings ``(N, D)`` and what preparing each one found."""
        images = self.prepare_probes(*probes)
        return self.embed([image.tensor for image in images]), images

    def rule(self, threshold: Threshold) -> DecisionRule:
        return decision_rule(
            self.model, threshold.far, threshold.value, self.default_far, self.calibrated_range_only
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
