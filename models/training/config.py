"""Training configuration (TOML or YAML), validated so a bad value names its field."""

import tomllib
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal, Self

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from models.checkpoint import Modality
from models.data.folder_dataset import DEFAULT_FORGERY_PREFIXES
from models.errors import ConfigError
from models.losses import LossSpec
from models.losses.objectives import COMPATIBLE_COMPARISONS
from models.networks import EncoderSpec
from models.preprocessing import PreprocessSpec
from models.reference_scoring import ScoringRule
from models.twin import ComparisonSpec


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataConfig(_Strict):
    root: Path | None = Field(default=None, description="folder-per-identity dataset root")
    extra_roots: list[Path] = Field(
        default_factory=list,
        description="more folder-per-identity datasets whose identities all train and never "
        "validate (named <folder name>/<identity>); folds split data.root alone",
    )
    modality: Modality = "generic"
    validation_fraction: float = Field(default=0.2, gt=0, lt=1)
    fold: int = Field(
        default=0, ge=0, description="which block of validation_fraction identities is held out"
    )
    forgery_prefixes: list[str] = Field(default_factory=lambda: list(DEFAULT_FORGERY_PREFIXES))
    load_workers: int = Field(default=4, ge=1, le=64)


class TrainingConfig(_Strict):
    epochs: int = Field(default=20, ge=1, le=10_000)
    batch_size: int = Field(default=32, ge=2, le=4096, description="pairs or images per step")
    steps_per_epoch: int = Field(default=100, ge=1)
    m_per_class: int = Field(default=4, ge=2, description="images per identity (label batches)")
    forgeries_per_class: int = Field(
        default=2, ge=0, description="skilled forgeries per identity (label batches)"
    )
    skilled_fraction: float = Field(
        default=0.5, ge=0, le=1, description="share of negatives that are skilled forgeries"
    )
    optimizer: Literal["adamw", "sgd"] = "adamw"
    learning_rate: float = Field(default=1e-3, gt=0, le=10)
    weight_decay: float = Field(default=1e-4, ge=0)
    scheduler: Literal["cosine", "constant"] = "cosine"
    warmup_epochs: int = Field(default=0, ge=0)
    patience: int = Field(
        default=5, ge=1, description="epochs without validation-EER gain before stopping"
    )
    keep: Literal["best", "last"] = Field(
        default="best",
        description="checkpoint written to best.safetensors: the epoch with the lowest "
        "validation EER, or the last epoch (its validation figures are then unbiased by "
        "the choice, and patience does not stop the run; pair with ema_decay)",
    )
    grad_clip: float | None = Field(default=5.0, gt=0)
    ema_decay: float | None = Field(
        default=None,
        gt=0,
        lt=1,
        description="validate and ship an exponential moving average of the weights "
        "(e.g. 0.995): steadier than the last step's weights on small datasets",
    )
    augment: float = Field(default=0.5, ge=0, le=1, description="augmentation strength, 0 disables")
    amp: bool = Field(default=True, description="mixed precision when on CUDA")
    # Both default to the arithmetic every figure so far was measured with, so a run gives
    # the same numbers on every CPU; a recipe opts in to the faster paths.
    cpu_precision: Literal["auto", "fp32", "bf16"] = Field(
        default="fp32",
        description="matrix precision when training on the CPU: auto takes bf16 where the CPU "
        "has AMX tiles (several times faster there) and fp32 elsewhere (on AVX2-only CPUs "
        "bf16 is tens of times slower)",
    )
    channels_last: bool = Field(
        default=False, description="NHWC activations for convolutions (faster on CPUs)"
    )
    num_workers: int = Field(default=0, ge=0, le=64)
    max_validation_negatives: int = Field(default=500_000, ge=100)


class CalibrationConfig(_Strict):
    """How the shipped thresholds are calibrated on the validation identities."""

    references: int = Field(
        default=1,
        ge=1,
        le=50,
        description="enrolled references per subject: above 1, thresholds are set on trials "
        "against that many references (best score), as the service decides",
    )
    negatives: Literal["all", "skilled"] = Field(
        default="all",
        description="negatives the FARs are measured on; 'skilled' guards against the "
        "hardest attack when the data has skilled forgeries",
    )
    draws: int = Field(default=10, ge=1, le=1000, description="reference sets drawn per identity")
    scoring: ScoringRule = Field(
        default="max",
        description="how a probe's scores against a subject's references become one score: "
        "the best one (max), their mean, or mean_minus_spread (the mean less how alike the "
        "subject's own references are; see models/reference_scoring.py)",
    )


class TrainConfig(_Strict):
    """A whole training run. Every choice the training module offers is a field here."""

    name: str = Field(default="twin", min_length=1, pattern=r"^[A-Za-z0-9._-]+$")
    version: str = Field(default="1", min_length=1)
    seed: int = 0
    device: Literal["auto", "cpu", "cuda"] = "auto"
    output_dir: Path = Path("runs/twin")
    data: DataConfig = Field(default_factory=DataConfig)
    preprocessing: PreprocessSpec
    encoder: EncoderSpec
    comparison: ComparisonSpec | None = None
    loss: LossSpec
    training: TrainingConfig = Field(default_factory=TrainingConfig)
    calibration: CalibrationConfig = Field(default_factory=CalibrationConfig)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        allowed = COMPATIBLE_COMPARISONS[self.loss.name]
        if self.comparison is None:
            self.comparison = ComparisonSpec(name=allowed[0])
        elif self.comparison.name not in allowed:
            raise ValueError(
                f"comparison.name {self.comparison.name!r} does not fit loss {self.loss.name!r}; "
                f"use one of {list(allowed)}"
            )
        if self.encoder.projection_size is not None and self.comparison.name == "learned_head":
            raise ValueError(
                "encoder.projection_size cannot be combined with the learned_head comparison: "
                "the head must be trained on the embeddings it will score"
            )
        if self.encoder.in_channels != self.preprocessing.channels:
            raise ValueError(
                f"encoder.in_channels is {self.encoder.in_channels} but preprocessing "
                f"{self.preprocessing.name!r} produces {self.preprocessing.channels} channel(s)"
            )
        if (
            self.training.batch_size % self.training.m_per_class
            and self.loss.batch_kind == "labels"
        ):
            raise ValueError("training.batch_size must be a multiple of training.m_per_class")
        return self

    @property
    def resolved_comparison(self) -> ComparisonSpec:
        assert self.comparison is not None  # set by the validator
        return self.comparison


def _field_path(location: tuple[int | str, ...]) -> str:
    return ".".join(str(part) for part in location) or "(top level)"


def parse_config(raw: dict[str, Any], source: str = "config") -> TrainConfig:
    """Validate a mapping; errors become one :class:`ConfigError` naming every bad field."""
    try:
        return TrainConfig.model_validate(raw)
    except ValidationError as exc:
        problems = "; ".join(
            f"{_field_path(error['loc'])}: {error['msg']}" for error in exc.errors()
        )
        raise ConfigError(f"{source}: invalid configuration: {problems}") from exc


def load_config(path: Path, overrides: Sequence[str] = ()) -> TrainConfig:
    """Read a ``.toml``, ``.yaml`` or ``.yml`` file. Relative paths in it stay relative to the
    working directory, like paths given on the command line. ``overrides`` are
    ``section.key=value`` settings applied on top (``value`` in TOML syntax, or a bare
    string): ``data.fold=2``, ``data.extra_roots=["a", "b"]``."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"cannot read config {path}: {exc.strerror or exc}") from exc
    try:
        if path.suffix.lower() == ".toml":
            raw: Any = tomllib.loads(text)
        elif path.suffix.lower() in (".yaml", ".yml"):
            raw = yaml.safe_load(text)
        else:
            raise ConfigError(f"{path}: config must be .toml, .yaml or .yml")
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(f"{path}: not valid {path.suffix[1:].upper()}: {exc}") from exc
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a table of settings")
    for override in overrides:
        _apply_override(raw, override)
    return parse_config(raw, str(path))


def _apply_override(raw: dict[str, Any], override: str) -> None:
    key, separator, text = override.partition("=")
    parts = key.strip().split(".")
    if not separator or not all(parts):
        raise ConfigError(f"--set {override!r}: expected section.key=value")
    try:
        value: Any = tomllib.loads(f"value = {text}")["value"]
    except tomllib.TOMLDecodeError:
        value = text  # a bare string: paths, names
    table = raw
    for part in parts[:-1]:
        nested = table.setdefault(part, {})
        if not isinstance(nested, dict):
            raise ConfigError(f"--set {override!r}: {part} is not a section")
        table = nested
    table[parts[-1]] = value
