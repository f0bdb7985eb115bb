"""Signature-like test images (dark digits on white paper) and a real signature model
trained on them by ``models/``: small, fast, and good enough to tell the digits apart."""

import io
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from models.checkpoint import load_checkpoint, save_checkpoint
from models.data.image_set import ImageSet
from models.preprocessing import PreprocessSpec, build_preprocessor
from models.training.config import parse_config
from models.training.trainer import train
from tests.helpers import digits_arrays

PREPROCESSING = PreprocessSpec(name="signature", height=24, width=32)


def page(index: int, scale: int = 6) -> Image.Image:
    """Digit ``index`` of scikit-learn's set as dark ink on a white page with margins."""
    images, _ = digits_arrays()
    ink = images[index, 0].numpy()
    glyph = Image.fromarray(255 - ink).resize((8 * scale, 8 * scale), Image.Resampling.NEAREST)
    canvas = Image.new("L", (8 * scale + 40, 8 * scale + 24), 255)
    canvas.paste(glyph, (20, 12))
    return canvas


def png(index: int, fmt: str = "PNG") -> bytes:
    buffer = io.BytesIO()
    page(index).save(buffer, format=fmt)
    return buffer.getvalue()


def digit_indices() -> dict[int, list[int]]:
    """Image indices of each digit, in dataset order."""
    _, labels = digits_arrays()
    return {digit: np.flatnonzero(labels == digit).tolist() for digit in range(10)}


def _image_set(indices: list[int]) -> ImageSet:
    preprocessor = build_preprocessor(PREPROCESSING)
    _, labels = digits_arrays()
    tensors = torch.stack([preprocessor.prepare(page(i)) for i in indices])
    return ImageSet(
        images=tensors,
        identities=[f"digit{labels[i]}" for i in indices],
        is_forgery=torch.zeros(len(indices), dtype=torch.bool),
        paths=[f"digits/{i}" for i in indices],
    )


def train_signature_model(out: Path) -> Path:
    """Train on the first 60 images of each digit, calibrate on the next 25 (15 to 40 s
    on two cores; validation EER about 10 %, as the full 30 epochs reach).

    Images from index 100 of each digit on are never seen: tests enrol and probe with them.
    """
    by_digit = digit_indices()
    train_ix = [i for d in range(10) for i in by_digit[d][:60]]
    val_ix = [i for d in range(10) for i in by_digit[d][60:85]]
    config = parse_config(
        {
            "name": "test-signature",
            "version": "1",
            "seed": 0,
            "device": "cpu",
            "output_dir": str(out),
            "data": {"modality": "signature"},
            "preprocessing": PREPROCESSING.model_dump(),
            "encoder": {"name": "tiny_cnn", "embedding_size": 128, "in_channels": 1, "width": 16},
            "loss": {"name": "triplet", "margin": 0.3, "mining": "batch_hard"},
            "training": {
                "epochs": 15,
                "batch_size": 40,
                "steps_per_epoch": 40,
                "m_per_class": 8,
                "learning_rate": 3e-3,
                "augment": 0.0,
                "patience": 10,
            },
        }
    )
    result = train(config, _image_set(train_ix), _image_set(val_ix), progress_bar=False)
    return result.checkpoint


def with_version(source: Path, target: Path, version: str) -> Path:
    """The same weights published as another model version (as a retrained model would be)."""
    checkpoint = load_checkpoint(source)
    metadata = checkpoint.metadata.model_copy(update={"version": version})
    save_checkpoint(target, checkpoint.model, metadata)
    return target
