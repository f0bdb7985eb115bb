"""Plain resize to the input size, grey or RGB: for digits, ORL-style crops and tests."""

import numpy as np
import torch
from PIL import Image

from models.preprocessing.base import NormalisingPreprocessor


class PlainPreprocessor(NormalisingPreprocessor):
    """Convert to the spec's colour mode; resize to ``(height, width)``, bilinear."""

    def prepare(self, image: Image.Image) -> torch.Tensor:
        mode = "RGB" if self.spec.channels == 3 else "L"
        resized = image.convert(mode).resize(
            (self.spec.width, self.spec.height), Image.Resampling.BILINEAR
        )
        array = np.asarray(resized, dtype=np.uint8)
        array = array[None, :, :] if array.ndim == 2 else array.transpose(2, 0, 1)
        return torch.from_numpy(array.copy())
