"""The images a checkpoint was validated on: the identities it never trained on."""

from pathlib import Path

from models.checkpoint import CheckpointMetadata
from models.data.folder_dataset import load_folder_dataset
from models.data.image_set import ImageSet
from models.errors import DatasetError
from models.preprocessing import Preprocessor


def validation_images(
    metadata: CheckpointMetadata, path: Path, root: Path | None, preprocessor: Preprocessor
) -> ImageSet:
    """The identities the checkpoint at ``path`` was validated on and never trained on,
    read from ``root`` (default: the dataset it was trained on)."""
    provenance = metadata.provenance
    if provenance is None or not provenance.validation_names:
        raise DatasetError(f"{path} records no validation identities")
    root = root if root is not None else Path(provenance.source)
    wanted = set(provenance.validation_names)
    held_out = load_folder_dataset(root, preprocessor, identities=wanted).images
    missing = wanted - set(held_out.identities)
    if missing:
        raise DatasetError(f"{root}: validation identities not found: {sorted(missing)[:5]}")
    return held_out
