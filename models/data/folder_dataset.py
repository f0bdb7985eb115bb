"""Folder-per-identity datasets: ``root/<identity>/<image>``, skilled forgeries by file prefix.

CEDAR layout: ``original_*`` files are genuine, ``forgeries_*`` files imitate the folder's
identity and are negatives for it.
"""

import hashlib
import logging
from collections.abc import Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import torch

from models.data.image_set import ImageSet, SkippedImage
from models.errors import DatasetError, ImageError
from models.preprocessing import Preprocessor, decode_image

logger = logging.getLogger(__name__)

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm"})
DEFAULT_FORGERY_PREFIXES = ("forgeries_", "forgery_", "forged_")


@dataclass(frozen=True)
class _Loaded:
    relative: str
    digest: str
    tensor: torch.Tensor | None
    error: str | None


def _image_files(
    root: Path, identities: Collection[str] | None, per_identity: int | None = None
) -> list[Path]:
    if not root.is_dir():
        raise DatasetError(f"dataset root {root} is not a directory")
    folders = sorted(p for p in root.iterdir() if p.is_dir())
    if identities is not None:
        folders = [folder for folder in folders if folder.name in identities]
    files = [
        path
        for identity in folders
        for path in sorted(p for p in identity.iterdir() if _is_image(p))[:per_identity]
    ]
    if not files:
        raise DatasetError(f"no images under {root} (expected root/<identity>/<image>)")
    return files


def _is_image(path: Path) -> bool:
    return path.suffix.lower() in IMAGE_SUFFIXES and path.is_file()


def _load_one(path: Path, root: Path, preprocessor: Preprocessor) -> _Loaded:
    relative = path.relative_to(root).as_posix()
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    try:
        tensor = preprocessor.prepare(decode_image(data, max_side=preprocessor.working_side))
    except ImageError as exc:
        return _Loaded(relative, digest, None, str(exc))
    return _Loaded(relative, digest, tensor, None)


def content_hash(entries: Sequence[tuple[str, str]]) -> str:
    """sha256 over sorted ``(relative path, file sha256)`` pairs: names and bytes both count."""
    hasher = hashlib.sha256()
    for relative, digest in sorted(entries):
        hasher.update(f"{relative}\0{digest}\n".encode())
    return hasher.hexdigest()


@dataclass(frozen=True)
class FolderDataset:
    """A loaded folder dataset and the facts a checkpoint records about it."""

    images: ImageSet
    root: Path
    content_hash: str


def load_folder_dataset(
    root: Path,
    preprocessor: Preprocessor,
    forgery_prefixes: Sequence[str] = DEFAULT_FORGERY_PREFIXES,
    workers: int = 4,
    identities: Collection[str] | None = None,
    per_identity: int | None = None,
) -> FolderDataset:
    """Decode and preprocess every image under ``root`` (only the folders named in
    ``identities``, when given; the first ``per_identity`` files of a folder, when given)
    once.

    Unreadable or unusable images are skipped with a warning and listed in
    ``images.skipped``; they never abort the load.
    """
    files = _image_files(root, identities, per_identity)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        loaded = list(pool.map(lambda p: _load_one(p, root, preprocessor), files))
    tensors, identities, forgery, paths, skipped = [], [], [], [], []
    for path, item in zip(files, loaded, strict=True):
        if item.tensor is None:
            logger.warning("skipping %s: %s", item.relative, item.error)
            skipped.append(SkippedImage(item.relative, item.error or "unusable"))
            continue
        tensors.append(item.tensor)
        identities.append(path.parent.name)
        forgery.append(path.name.lower().startswith(tuple(forgery_prefixes)))
        paths.append(item.relative)
    if not tensors:
        raise DatasetError(f"none of the {len(files)} images under {root} could be used")
    image_set = ImageSet(
        images=torch.stack(tensors),
        identities=identities,
        is_forgery=torch.tensor(forgery, dtype=torch.bool),
        paths=paths,
        skipped=skipped,
    )
    digest = content_hash([(item.relative, item.digest) for item in loaded])
    return FolderDataset(image_set, root, digest)
