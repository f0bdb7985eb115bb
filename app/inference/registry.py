"""The models the service serves, one per modality, loaded once from checkpoints."""

import copy
import logging
from dataclasses import dataclass
from pathlib import Path

import torch

from models.checkpoint import Checkpoint, load_checkpoint
from models.preprocessing import Preprocessor, build_preprocessor
from models.preprocessing.face_options import FaceOptions
from models.twin import Comparator

logger = logging.getLogger(__name__)

MODALITIES = ("face", "signature")


@dataclass(frozen=True)
class LoadedModel:
    modality: str
    checkpoint_path: Path
    checkpoint: Checkpoint
    preprocessor: Preprocessor
    device: torch.device
    # Searches run on the CPU next to the in-memory matrices; a copy of the comparator (the
    # learned head has weights) lives there so no matrix ever travels to the GPU.
    cpu_comparator: Comparator

    @property
    def name(self) -> str:
        return self.checkpoint.metadata.name

    @property
    def version(self) -> str:
        return self.checkpoint.metadata.version

    def made(self, model_name: str, model_version: str) -> bool:
        """Whether an embedding stored with this name and version is comparable with ours."""
        return (model_name, model_version) == (self.name, self.version)


@dataclass(frozen=True)
class ModelRegistry:
    """``models`` holds the enabled modalities; ``disabled`` says why each other one is off."""

    models: dict[str, LoadedModel]
    disabled: dict[str, str]


def load_registry(
    checkpoints: dict[str, Path | None],
    device: torch.device,
    face: FaceOptions | None = None,
    why_disabled: dict[str, str] | None = None,
) -> ModelRegistry:
    """Load each configured checkpoint; a modality without one starts disabled (for the
    reason in ``why_disabled``, if given).

    A configured checkpoint that fails to load is an error, not a silent downgrade.
    """
    models: dict[str, LoadedModel] = {}
    disabled: dict[str, str] = {}
    for modality in MODALITIES:
        path = checkpoints.get(modality)
        if path is None:
            disabled[modality] = (why_disabled or {}).get(modality, "no checkpoint configured")
            continue
        checkpoint = load_checkpoint(path, device)
        if checkpoint.metadata.modality != modality:
            raise ValueError(
                f"{path} is a {checkpoint.metadata.modality} model, configured for {modality}"
            )
        preprocessor = build_preprocessor(checkpoint.metadata.preprocessing, face)
        cpu_comparator = copy.deepcopy(checkpoint.model.comparator).cpu().eval()
        models[modality] = LoadedModel(
            modality, path, checkpoint, preprocessor, device, cpu_comparator
        )
        logger.info(
            "loaded %s model %s:%s on %s",
            modality,
            checkpoint.metadata.name,
            checkpoint.metadata.version,
            device,
        )
    return ModelRegistry(models, disabled)
