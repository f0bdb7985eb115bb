"""Self-describing checkpoints: safetensors weights with JSON metadata in the same file.

The metadata names the architecture and its arguments, so :func:`load_checkpoint` rebuilds
the model from the file alone. safetensors stores raw tensors only: loading never unpickles.
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import torch
from pydantic import BaseModel, Field, ValidationError
from safetensors import SafetensorError

from models.errors import CheckpointError
from models.evaluation.calibration import OperatingPoint
from models.evaluation.likelihood_ratio import LikelihoodRatioCalibration
from models.networks import EncoderSpec, build_encoder
from models.networks.registry import build_projection
from models.preprocessing import PreprocessSpec
from models.provenance import DataProvenance
from models.reference_scoring import ReferenceScoring
from models.safetensors_io import open_safetensors, write_safetensors
from models.twin import ComparisonSpec, TwinNetwork, build_comparator

FORMAT_VERSION = 1
METADATA_KEY = "twinverify"

Modality = Literal["signature", "face", "generic"]


class CheckpointMetadata(BaseModel):
    """Everything about a trained twin network except its weights."""

    format_version: int = FORMAT_VERSION
    name: str
    version: str = Field(description="model version; embeddings of different versions never mix")
    modality: Modality
    encoder: EncoderSpec
    comparison: ComparisonSpec
    preprocessing: PreprocessSpec
    embedding_size: int
    score_kind: str = Field(description="what a score is; higher always means more alike")
    thresholds: dict[str, OperatingPoint] = Field(default_factory=dict)
    likelihood_ratio: LikelihoodRatioCalibration | None = Field(
        default=None,
        description="score -> calibrated log10 likelihood ratio (same source vs not), fitted "
        "on the same trials as the thresholds",
    )
    reference_scoring: ReferenceScoring = Field(
        default_factory=ReferenceScoring,
        description="how a probe's scores against a subject's references become one score "
        "(the thresholds are calibrated on that score)",
    )
    metrics: dict[str, Any] = Field(default_factory=dict)
    provenance: DataProvenance | None = None
    training: dict[str, Any] = Field(default_factory=dict, description="the training config")
    code_version: str = ""
    created_at: str = Field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))


@dataclass
class Checkpoint:
    model: TwinNetwork
    metadata: CheckpointMetadata


def build_model(
    encoder: EncoderSpec, comparison: ComparisonSpec, for_training: bool = False
) -> TwinNetwork:
    """A randomly initialised twin network; ``for_training`` adds the projection head."""
    return TwinNetwork(
        build_encoder(encoder),
        build_comparator(comparison, encoder.embedding_size),
        build_projection(encoder) if for_training else None,
        mirror_average=encoder.mirror_average,
    )


def describe(
    model: TwinNetwork,
    *,
    name: str,
    version: str,
    modality: Modality,
    encoder: EncoderSpec,
    comparison: ComparisonSpec,
    preprocessing: PreprocessSpec,
    **extra: Any,
) -> CheckpointMetadata:
    """Metadata for ``model``, built from these specs: the embedding size and score kind
    are read off them, never restated, so they cannot disagree with the weights."""
    return CheckpointMetadata(
        name=name,
        version=version,
        modality=modality,
        encoder=encoder,
        comparison=comparison,
        preprocessing=preprocessing,
        embedding_size=encoder.embedding_size,
        score_kind=model.comparator.score_kind,
        **extra,
    )


def _contiguous(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {key: value.detach().cpu().contiguous() for key, value in state.items()}


def save_checkpoint(path: Path, model: TwinNetwork, metadata: CheckpointMetadata) -> None:
    """Write weights and metadata atomically (a crash never leaves half a checkpoint)."""
    weights = {k: v for k, v in model.state_dict().items() if not k.startswith("projection.")}
    write_safetensors(
        path, _contiguous(weights), metadata={METADATA_KEY: metadata.model_dump_json()}
    )


def read_metadata(path: Path) -> CheckpointMetadata:
    """Only the metadata: cheap, for listing models without loading weights."""
    raw = _read_header(path)
    return _parse_metadata(raw, path)


def _read_header(path: Path) -> dict[str, Any]:
    try:
        with open_safetensors(path) as handle:
            header = handle.metadata() or {}
    except (OSError, SafetensorError) as exc:
        raise CheckpointError(f"{path} is not a readable safetensors checkpoint: {exc}") from exc
    if METADATA_KEY not in header:
        raise CheckpointError(f"{path} has no twinverify metadata")
    try:
        raw: dict[str, Any] = json.loads(header[METADATA_KEY])
    except json.JSONDecodeError as exc:
        raise CheckpointError(f"{path}: metadata is not valid JSON: {exc}") from exc
    return raw


def _parse_metadata(raw: dict[str, Any], path: Path) -> CheckpointMetadata:
    version = raw.get("format_version")
    if version != FORMAT_VERSION:
        raise CheckpointError(
            f"{path}: checkpoint format version {version!r} is not supported "
            f"(this code reads {FORMAT_VERSION})"
        )
    try:
        return CheckpointMetadata.model_validate(raw)
    except ValidationError as exc:
        raise CheckpointError(
            f"{path}: invalid metadata: {exc.errors()[0]['loc']}: {exc.errors()[0]['msg']}"
        ) from exc


def _one_line(error: Exception, limit: int = 400) -> str:
    return " ".join(str(error).split())[:limit]


def load_checkpoint(path: Path, device: torch.device | str = "cpu") -> Checkpoint:
    """Rebuild the model from the metadata and load the weights strictly, in eval mode."""
    metadata = _parse_metadata(_read_header(path), path)
    model = build_model(metadata.encoder, metadata.comparison)
    tensors: dict[str, torch.Tensor] = {}
    try:
        with open_safetensors(path) as handle:
            for key in handle.keys():  # noqa: SIM118 - safe_open has no __iter__
                tensors[key] = handle.get_tensor(key)
    except (OSError, SafetensorError) as exc:
        raise CheckpointError(f"{path}: cannot read the weights: {_one_line(exc)}") from exc
    try:
        model.load_state_dict(tensors, strict=True)
    except RuntimeError as exc:
        raise CheckpointError(
            f"{path}: weights do not match the declared architecture "
            f"{metadata.encoder.name!r} / {metadata.comparison.name!r}: {_one_line(exc)}"
        ) from exc
    model.to(device).eval()
    return Checkpoint(model, metadata)
