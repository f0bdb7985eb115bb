"""From a config's ``data`` section to identity-disjoint train and validation image sets."""

from models.data.folder_dataset import load_folder_dataset
from models.data.image_set import ImageSet
from models.data.splits import split_identities
from models.errors import ConfigError, DatasetError
from models.preprocessing import build_preprocessor
from models.provenance import DataProvenance
from models.training.config import TrainConfig


def load_training_data(config: TrainConfig) -> tuple[ImageSet, ImageSet, DataProvenance]:
    """Load ``data.root`` once, split its identities, and describe what was loaded."""
    if config.data.root is None:
        raise ConfigError("data.root: a dataset folder is required to train from the command line")
    dataset = load_folder_dataset(
        config.data.root,
        build_preprocessor(config.preprocessing),
        config.data.forgery_prefixes,
        config.data.load_workers,
    )
    images = dataset.images
    try:
        train_names, validation_names = split_identities(
            images.identities, config.data.validation_fraction, config.seed, config.data.fold
        )
    except ValueError as exc:
        raise DatasetError(f"{config.data.root}: {exc}") from exc
    provenance = DataProvenance(
        source=str(config.data.root),
        identities=len(images.identity_names),
        images=len(images),
        forgeries=int(images.is_forgery.sum()),
        skipped_images=len(images.skipped),
        train_identities=len(train_names),
        validation_identities=len(validation_names),
        content_sha256=dataset.content_hash,
        validation_names=validation_names,
    )
    return images.with_identities(train_names), images.with_identities(validation_names), provenance
