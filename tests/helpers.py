"""Shared test data: real objects built from small public data (scikit-learn's digits)."""

import functools
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from sklearn.datasets import load_digits

from models.checkpoint import build_model, describe, save_checkpoint
from models.data.image_set import ImageSet
from models.networks import EncoderSpec
from models.preprocessing import PreprocessSpec, build_preprocessor
from models.twin import ComparisonSpec, TwinNetwork

SHARED_DATASETS = Path(__file__).resolve().parents[1].parent / "shared" / "datasets"


@functools.cache
def _digits() -> tuple[np.ndarray, np.ndarray]:
    """scikit-learn's digits as ``uint8`` pixels and labels, parsed once per process (the
    parse costs ~30 ms and image helpers ask for it per image)."""
    digits = load_digits()
    pixels = np.round(digits.images / 16.0 * 255.0).astype(np.uint8)
    pixels.flags.writeable = False
    return pixels, digits.target


def digits_arrays(size: int = 8) -> tuple[torch.Tensor, np.ndarray]:
    """``uint8 (1797, 1, size, size)`` digit images (0..255) and their labels; sizes other than
    8 go through the ``grey`` preprocessing pipeline, as image files would."""
    pixels, labels = _digits()
    if size == 8:
        return torch.from_numpy(pixels.copy())[:, None], labels.copy()
    preprocessor = build_preprocessor(PreprocessSpec(name="grey", height=size, width=size))
    images = torch.stack([preprocessor.prepare(Image.fromarray(p)) for p in pixels])
    return images, labels.copy()


def image_set(images: torch.Tensor, labels: np.ndarray, indices: np.ndarray) -> ImageSet:
    return ImageSet(
        images=images[torch.as_tensor(indices)],
        identities=[f"digit{labels[i]}" for i in indices],
        is_forgery=torch.zeros(len(indices), dtype=torch.bool),
        paths=[f"digits/{i}" for i in indices],
    )


def write_digit_folders(root: Path, per_class: int = 12, classes: int = 10, size: int = 24) -> Path:
    """A folder-per-identity dataset of upscaled digit PNGs: ``root/digit<k>/<n>.png``."""
    images, labels = digits_arrays()
    for digit in range(classes):
        folder = root / f"digit{digit}"
        folder.mkdir(parents=True, exist_ok=True)
        for n, index in enumerate(np.flatnonzero(labels == digit)[:per_class]):
            pixels = images[index, 0].numpy()
            Image.fromarray(pixels).resize((size, size), Image.Resampling.NEAREST).save(
                folder / f"{n}.png"
            )
    return root


def dataset_path(name: str) -> Path:
    return SHARED_DATASETS / name


def save_untrained_checkpoint(
    path: Path,
    encoder: EncoderSpec,
    comparison: ComparisonSpec,
    preprocessing: PreprocessSpec,
    name: str = "untrained",
    model: TwinNetwork | None = None,
) -> TwinNetwork:
    """Write a real checkpoint of a freshly initialised (or the given) twin network."""
    model = (model or build_model(encoder, comparison)).eval()
    modality = {"face": "face", "signature": "signature"}.get(preprocessing.name, "generic")
    metadata = describe(
        model,
        name=name,
        version="0",
        modality=modality,  # type: ignore[arg-type]
        encoder=encoder,
        comparison=comparison,
        preprocessing=preprocessing,
    )
    save_checkpoint(path, model, metadata)
    return model
