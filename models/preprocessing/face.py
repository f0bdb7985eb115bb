"""Face preprocessing: RGB, centre crop to the face region of a roughly centred photo, resize.

Detection and landmark alignment replace the centre crop once a detector ships; the spec's
``name`` stays ``face`` so checkpoints keep naming the same pipeline.
"""

import numpy as np
import torch
from PIL import Image

from models.preprocessing.base import NormalisingPreprocessor

# LFW-style photos are 250 px with the face in the central ~45 %; this keeps the face and a
# little context while dropping most of the background.
CENTRE_CROP_FRACTION = 0.55


class FacePreprocessor(NormalisingPreprocessor):
    """Centre-crop a square around the image centre and resize to ``(height, width)``."""

    def prepare(self, image: Image.Image) -> torch.Tensor:
        rgb = image.convert("RGB")
        side = round(min(rgb.size) * CENTRE_CROP_FRACTION)
        left = (rgb.width - side) // 2
        top = (rgb.height - side) // 2
        crop = rgb.crop((left, top, left + side, top + side))
        resized = crop.resize((self.spec.width, self.spec.height), Image.Resampling.BILINEAR)
        array = np.asarray(resized, dtype=np.uint8).transpose(2, 0, 1)
        return torch.from_numpy(array.copy())
