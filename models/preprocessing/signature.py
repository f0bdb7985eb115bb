"""Signature preprocessing: flatten the paper, find the ink, crop, whiten, fit, invert.

Scale-independent by construction: the crop is defined by the ink, and every window
(background estimate, blur) is sized relative to the image, so the same signature scanned
at two resolutions reaches the network almost unchanged.
"""

from dataclasses import dataclass

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
# Gaussian blur (pixels of the output canvas) applied after fitting the crop on it.
CANVAS_BLUR_SIGMA = 0.8
# The paper's brightness is estimated on a copy this small (cheap even for phone photos)...
BACKGROUND_SIDE = 256
# ...with a closing window this fraction of the copy's shorter side: wider than any stroke,
# narrower than the slow shading of a photo or a tinted sheet.
BACKGROUND_WINDOW = 0.12
# An ink component with more than BORDER_SHARE of its pixels in a band this fraction of
# the shorter side wide along the edges is a frame, not part of the signature.
BORDER_BAND = 0.03
BORDER_SHARE = 0.5


@dataclass(frozen=True)
class InkedPage:
    """A page in grey with the paper's brightness divided out, its ink mask and the grey
    level separating ink from paper."""

    grey: np.ndarray
    ink: np.ndarray
    threshold: float


def find_ink(image: Image.Image) -> InkedPage:
    """Flatten the paper and find the ink; a page without any is ``BlankImageError``."""
    grey = _flatten_background(np.asarray(image.convert("L"), dtype=np.uint8))
    ink, threshold = _ink_mask(grey)
    return InkedPage(grey, ink, threshold)


class SignaturePreprocessor(NormalisingPreprocessor):
    """Grey page -> ink-high ``uint8`` tensor ``(1, height, width)``, aspect ratio kept."""

    # A whole A4 page at 175 dpi; a signature on it still spans far more than the canvas
    # (and every step here is scale-independent), while a 40 MP upload costs no more.
    working_side = 2048

    def prepare(self, image: Image.Image) -> torch.Tensor:
        return self.prepare_page(find_ink(image))

    def prepare_page(self, page: InkedPage) -> torch.Tensor:
        """``prepare`` from a page whose ink is already found (the service checks the same
        page for being a photograph first, and need not flatten and threshold it twice)."""
        grey, ink, threshold = page.grey, page.ink, page.threshold
        frame = _border_lines(ink)
        if frame.any():
            # A dark frame would drag Otsu's threshold towards it: paint it over as paper
            # (on a copy: the page stays as found) and find the ink again.
            grey = grey.copy()
            grey[cv2.dilate(frame.astype(np.uint8), np.ones((3, 3), np.uint8)) > 0] = 255
            ink, threshold = _ink_mask(grey)
        rows, cols = np.nonzero(ink)
        top, bottom, left, right = _with_margin(rows, cols, grey.shape)
        crop = grey[top:bottom, left:right].copy()
        # Paper becomes pure white so tint and noise do not reach the network; binarised,
        # the ink becomes pure black too, so pen pressure and scanner grey do neither.
        crop[crop > threshold] = 255
        if self.spec.binarize:
            crop[crop <= threshold] = 0
        canvas = _fit_on_canvas(crop, self.spec.height, self.spec.width)
        # Resampling leaves pixel-level traces of the scan's resolution on stroke edges;
        # a slight blur at the canvas's fixed scale removes them and keeps the strokes.
        canvas = cv2.GaussianBlur(canvas, (0, 0), sigmaX=CANVAS_BLUR_SIGMA)
        inverted = 255 - canvas
        return torch.from_numpy(inverted[None, :, :].copy())


def _flatten_background(grey: np.ndarray) -> np.ndarray:
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


def _border_lines(ink: np.ndarray) -> np.ndarray:
    """The ink components lying mostly in a thin band along the image's edges.

    Frames, ruled lines and the scanner lid's shadow live there; a signature that merely
    runs off the page keeps most of its ink inside and is kept.
    """
    count, labels = cv2.connectedComponents(ink.astype(np.uint8), connectivity=8)
    band = max(2, round(BORDER_BAND * min(ink.shape)))
    edge = np.zeros(ink.shape, dtype=bool)
    edge[:band, :] = edge[-band:, :] = edge[:, :band] = edge[:, -band:] = True
    area = np.bincount(labels.ravel(), minlength=count)
    on_edge = np.bincount(labels[edge], minlength=count)
    frame = on_edge > BORDER_SHARE * area
    frame[0] = False  # background
    mask: np.ndarray = frame[labels]
    return mask


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
