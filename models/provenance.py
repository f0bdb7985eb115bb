"""Where a model came from: the data it saw and the code that trained it."""

import subprocess
from pathlib import Path

from pydantic import BaseModel, Field

import models


class ExtraSource(BaseModel):
    """A dataset that only trained the model (``data.extra_roots``)."""

    source: str
    identities: int
    images: int
    forgeries: int
    skipped_images: int
    content_sha256: str


class DataProvenance(BaseModel):
    """The training data, identified by location, counts and a content hash (``source``
    is the dataset folds were split from; ``extra_sources`` only trained)."""

    source: str
    identities: int
    images: int
    forgeries: int
    skipped_images: int
    train_identities: int
    validation_identities: int
    content_sha256: str
    validation_names: list[str] = Field(
        default_factory=list, description="held-out identities, to rebuild the evaluation"
    )
    extra_sources: list[ExtraSource] = Field(default_factory=list)


def _git(root: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=root, capture_output=True, text=True, check=True, timeout=5
    ).stdout.strip()


def code_version() -> str:
    """Package version plus the git commit (``.dirty`` with local changes) when available."""
    root = Path(models.__file__).resolve().parent.parent
    try:
        commit = _git(root, "rev-parse", "--short", "HEAD")
        dirty = _git(root, "status", "--porcelain", "--untracked-files=no")
    except (OSError, subprocess.SubprocessError):
        return models.__version__
    return f"{models.__version__}+g{commit}{'.dirty' if dirty else ''}"
