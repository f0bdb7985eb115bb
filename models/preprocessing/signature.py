"""Signature preprocessing: find the ink, crop, whiten the paper, fit on a canvas, invert.

Scale-independent by construction: the crop is defined by the ink, and the blur that
finds the ink is sized relative to the image.
"""

import cv2
import numpy as np
import torch
from PIL import Image

from models.errors import BlankImageError
from models.preprocessing.base import NormalisingPreprocessor

# Fewer ink pixels than this fraction of the page means there is no signature to verify.
MIN_INK_FRACTION = 0.0005
# Otsu separates ink from paper; on a blank page it splits paper noise, whose two modes
# are close. Real ink is far darker than paper: require this many grey levels between the
# paper's median and the darkest tenth of the ink (measured before blurring, which would
# wash out thin strokes).
MIN_INK_CONTRAST = 40.0
# Margin kept around the ink bounding box, as a fraction of its larger side.
CROP_MARGIN = 0.05


class SignaturePreprocessor(NormalisingPreprocessor):
    """Grey page -> ink-high ``uint8`` tensor ``(1, height, width)``, aspect ratio kept."""

    def prepare(self, image: Image.Image) -> torch.Tensor:
        grey = np.asarray(image.convert("L"), dtype=np.uint8)
        ink_mask, threshold = _ink_mask(grey)
        rows, cols = np.nonzero(ink_mask)
        top, bottom, left, right = _with_margin(rows, cols, grey.shape)
        crop = grey[top:bottom, left:right].copy()
        # Paper becomes pure white so tint and noise do not reach the network.
        crop[crop > threshold] = 255
        canvas = _fit_on_canvas(crop, self.spec.height, self.spec.width)
        inverted = 255 - canvas
        return torch.from_numpy(inverted[None, :, :].copy())


def _ink_mask(grey: np.ndarray) -> tuple[np.ndarray, float]:
    """Blur + Otsu; returns the ink mask and the grey level separating ink from paper."""
    sigma = max(1.0, min(grey.shape) / 200.0)
    blurred = cv2.GaussianBlur(grey, (0, 0), sigmaX=sigma)
    threshold, mask = cv2.threshold(blurred, 0, 255, cv2.THRESH_BINARY_INV + cv2.THRESH_OTSU)
    ink = mask > 0
    ink_fraction = float(ink.mean())
    contrast = 0.0
    if ink.any() and not ink.all():
        contrast = float(np.median(grey[~ink]) - np.percentile(grey[ink], 10))
    if ink_fraction < MIN_INK_FRACTION or contrast < MIN_INK_CONTRAST:
        raise BlankImageError("no signature found: the image is blank or has too little ink")
    return ink, float(threshold)


def _with_margin(
    rows: np.ndarray, cols: np.ndarray, shape: tuple[int, ...]
) -> tuple[int, int, int, int]:
    top, bottom = int(rows.min()), int(rows.max()) + 1
    left, right = int(cols.min()), int(cols.max()) + 1
    margin = round(CROP_MARGIN * max(bottom - top, right - left))
    return (
        max(0, top - margin),
        min(shape[0], bottom + margin),
        max(0, left - margin),
        min(shape[1], right + margin),
    )


def _fit_on_canvas(crop: np.ndarray, height: int, width: int) -> np.ndarray:
    """Resize keeping the aspect ratio so the crop fits, centred on a white canvas."""
    scale = min(height / crop.shape[0], width / crop.shape[1])
    new_h = max(1, round(crop.shape[0] * scale))
    new_w = max(1, round(crop.shape[1] * scale))
    interpolation = cv2.INTER_AREA if scale < 1 else cv2.INTER_LINEAR
    resized = cv2.resize(crop, (new_w, new_h), interpolation=interpolation)
    canvas = np.full((height, width), 255, dtype=np.uint8)
    top = (height - new_h) // 2
    left = (width - new_w) // 2
    canvas[top : top + new_h, left : left + new_w] = resized
    return canvas
