"""Data files that other packages distribute (released weights), read without importing
the package's code, and checked against the digest of the release before use."""

import hashlib
import importlib.util
from pathlib import Path

from models.errors import CheckpointError


def package_folder(package: str) -> Path | None:
    """The installed ``package``'s folder, or ``None``; located, never imported."""
    spec = importlib.util.find_spec(package)
    if spec is None or spec.origin is None:
        return None
    return Path(spec.origin).parent


def packaged_file(package: str, *parts: str) -> Path | None:
    """``package``'s file at ``parts`` (relative to its folder), or ``None`` if absent."""
    folder = package_folder(package)
    path = None if folder is None else folder.joinpath(*parts)
    return path if path is not None and path.is_file() else None


def read_released(path: Path, sha256: str, what: str) -> bytes:
    """The bytes of ``path`` if they are the release (``sha256``); else a CheckpointError."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CheckpointError(f"cannot read {path}: {exc.strerror or exc}") from exc
    digest = hashlib.sha256(data).hexdigest()
    if digest != sha256:
        raise CheckpointError(
            f"{path} is not the released {what} (sha256 {digest[:12]}..., expected "
            f"{sha256[:12]}...)"
        )
    return data
