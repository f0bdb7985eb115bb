"""From a config's ``data`` section to identity-disjoint train and validation image sets."""

from pathlib import Path

from models.data.folder_dataset import FolderDataset, load_folder_dataset
from models.data.image_set import ImageSet
from models.data.splits import split_identities
from models.errors import ConfigError, DatasetError
from models.preprocessing import Preprocessor, build_preprocessor
from models.provenance import DataProvenance, ExtraSource
from models.training.config import TrainConfig


def load_training_data(config: TrainConfig) -> tuple[ImageSet, ImageSet, DataProvenance]:
    """Load ``data.root`` once and split its identities; every identity of
    ``data.extra_roots`` joins the training side. Describe what was loaded."""
    if config.data.root is None:
        raise ConfigError("data.root: a dataset folder is required to train from the command line")
    preprocessor = build_preprocessor(config.preprocessing)
    dataset = _load(config, config.data.root, preprocessor)
    images = dataset.images
    try:
        train_names, validation_names = split_identities(
            images.identities, config.data.validation_fraction, config.seed, config.data.fold
        )
    except ValueError as exc:
        raise DatasetError(f"{config.data.root}: {exc}") from exc
    extras = [_load(config, root, preprocessor) for root in _distinct(config.data.extra_roots)]
    train = ImageSet.concatenate(
        [
            images.with_identities(train_names),
            *(e.images.renamed(f"{e.root.name}/") for e in extras),
        ]
    )
    provenance = DataProvenance(
        source=str(config.data.root),
        identities=len(images.identity_names),
        images=len(images),
        forgeries=int(images.is_forgery.sum()),
        skipped_images=len(images.skipped),
        train_identities=len(train.identity_names),
        validation_identities=len(validation_names),
        content_sha256=dataset.content_hash,
        validation_names=validation_names,
        extra_sources=[_described(extra) for extra in extras],
    )
    return train, images.with_identities(validation_names), provenance


def _load(config: TrainConfig, root: Path, preprocessor: Preprocessor) -> FolderDataset:
    return load_folder_dataset(
        root, preprocessor, config.data.forgery_prefixes, config.data.load_workers
    )


def _distinct(roots: list[Path]) -> list[Path]:
    """Extra identities are named after their folder: two folders of one name would merge."""
    names = [root.name for root in roots]
    clashes = sorted({name for name in names if names.count(name) > 1})
    if clashes:
        raise ConfigError(f"data.extra_roots: two folders are named {clashes[0]!r}")
    return roots


def _described(extra: FolderDataset) -> ExtraSource:
    return ExtraSource(
        source=str(extra.root),
        identities=len(extra.images.identity_names),
        images=len(extra.images),
        forgeries=int(extra.images.is_forgery.sum()),
        skipped_images=len(extra.images.skipped),
        content_sha256=extra.content_hash,
    )
