"""Finding the ink on a page: flatten the paper's brightness, then separate ink from paper.

The signature pipeline crops what it finds; the check that an upload is a signature scan at
all reads the same page, so it is found once.
"""

from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image

from models.errors import NoSignatureFoundError

# Fewer ink pixels than this fraction of the page means there is no signature to verify.
MIN_INK_FRACTION = 0.0005
# Otsu separates ink from paper; on a blank page it splits paper noise, whose two modes
# are close. Real ink is far darker than paper: require this many grey levels between the
# paper's median and the darkest tenth of the ink (measured before blurring, which would
# wash out thin strokes).
MIN_INK_CONTRAST = 40.0
# The paper's brightness is estimated on a copy this small (cheap even for phone photos)...
BACKGROUND_SIDE = 256
# ...with a closing window this fraction of the copy's shorter side: wider than any stroke,
# narrower than the slow shading of a photo or a tinted sheet.
BACKGROUND_WINDOW = 0.12


@dataclass(frozen=True)
class InkedPage:
    """A page in grey with the paper's brightness divided out, its ink mask and the grey
    level separating ink from paper."""

    grey: np.ndarray
    ink: np.ndarray
    threshold: float


def find_ink(image: Image.Image) -> InkedPage:
    """Flatten the paper and find the ink; a page without any is ``NoSignatureFoundError``."""
    grey = flatten_background(np.asarray(image.convert("L"), dtype=np.uint8))
    ink, threshold = ink_mask(grey)
    return InkedPage(grey, ink, threshold)


def flatten_background(grey: np.ndarray) -> np.ndarray:
    """Divide out the paper's brightness so tinted, shaded or unevenly lit pages look alike.

    A grey closing (max then min filter) wider than any stroke erases the ink and leaves the
    paper; it is computed on a small copy and scaled back, since paper varies slowly.
    """
    height, width = grey.shape
    shrink = min(1.0, BACKGROUND_SIDE / max(height, width))
    small = cv2.resize(
        grey,
        (max(1, round(width * shrink)), max(1, round(height * shrink))),
        interpolation=cv2.INTER_AREA,
    )
    side = max(3, round(BACKGROUND_WINDOW * min(small.shape)) | 1)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (side, side))
    paper = cv2.morphologyEx(small, cv2.MORPH_CLOSE, kernel)
    paper = cv2.resize(paper, (width, height), interpolation=cv2.INTER_LINEAR)
    paper = np.maximum(paper.astype(np.float32), 1.0)
    flat: np.ndarray = np.clip(grey.astype(np.float32) / paper * 255.0, 0, 255)
    return flat.astype(np.uint8)


def ink_mask(grey: np.ndarray) -> tuple[np.ndarray, float]:
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
        raise NoSignatureFoundError("no signature found: the image is blank or has too little ink")
    return ink, float(threshold)
