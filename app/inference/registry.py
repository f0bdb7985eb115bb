"""The models the service serves, one per modality, loaded once from checkpoints."""

import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from app.core.config import Settings
from models.errors import CheckpointError
from models.face_fusion_checkpoint import ensure_fusion_checkpoint
from models.hardware import select_device
from models.preprocessing.face_options import FaceOptions
from models.serving import ComputePathChoice, ServedModel, load_served_model

logger = logging.getLogger(__name__)

MODALITIES = ("face", "signature")


@dataclass(frozen=True)
class ModelRegistry:
    """``models`` holds the enabled modalities; ``disabled`` says why each other one is off."""

    models: dict[str, ServedModel]
    disabled: dict[str, str]


def load_registry(
    checkpoints: dict[str, Path | None],
    device: torch.device,
    face: FaceOptions | None = None,
    why_disabled: dict[str, str] | None = None,
    compute: dict[str, ComputePathChoice] | None = None,
) -> ModelRegistry:
    """Load each configured checkpoint; a modality without one starts disabled (for the
    reason in ``why_disabled``, if given).

    A configured checkpoint that fails to load is an error, not a silent downgrade.
    """
    models: dict[str, ServedModel] = {}
    disabled: dict[str, str] = {}
    for modality in MODALITIES:
        path = checkpoints.get(modality)
        if path is None:
            disabled[modality] = (why_disabled or {}).get(modality, "no checkpoint configured")
            continue
        model = load_served_model(
            path, device, face, (compute or {}).get(modality, "auto"), modality=modality
        )
        models[modality] = model
        logger.info(
            "loaded %s model %s on %s (%s)",
            modality,
            model.identity,
            device,
            model.compute_path.name,
        )
    return ModelRegistry(models, disabled)


def load_configured_registry(settings: Settings) -> ModelRegistry:
    """The models the settings name; the default face model is imported from dlib's and
    SFace's weights on first use (without them, signatures are served alone)."""
    checkpoints = {"face": settings.face_checkpoint, "signature": settings.signature_checkpoint}
    why_disabled: dict[str, str] = {}
    if settings.face_checkpoint == settings.imported_face_checkpoint:
        try:
            ensure_fusion_checkpoint(settings.imported_face_checkpoint)
        except CheckpointError as exc:
            logger.warning("face modality disabled: %s", exc)
            checkpoints["face"], why_disabled["face"] = None, str(exc)
    return load_registry(
        checkpoints,
        select_device(settings.device),
        settings.face_options,
        why_disabled,
        {"face": settings.face_compute_path, "signature": settings.signature_compute_path},
    )
