"""Signature preprocessing: flatten the paper, find the ink, crop, whiten, fit, invert.

Scale-independent by construction: the crop is defined by the ink, and every window
(background estimate, blur) is sized relative to the image, so the same signature scanned
at two resolutions reaches the network almost unchanged.
"""

import cv2
import numpy as np
import torch
from PIL import Image

from models.preprocessing.base import NormalisingPreprocessor, PreparedImage
from models.preprocessing.ink import InkedPage, find_ink, ink_mask
from models.preprocessing.signature_likeness import check_signature_likeness

# Margin kept around the ink bounding box, as a fraction of its larger side.
CROP_MARGIN = 0.05
# Gaussian blur (pixels of the output canvas) applied after fitting the crop on it.
CANVAS_BLUR_SIGMA = 0.8
# An ink component with more than BORDER_SHARE of its pixels in a band this fraction of
# the shorter side wide along the edges is a frame, not part of the signature.
BORDER_BAND = 0.03
BORDER_SHARE = 0.5


class SignaturePreprocessor(NormalisingPreprocessor):
    """Grey page -> ink-high ``uint8`` tensor ``(1, height, width)``, aspect ratio kept."""

    # A whole A4 page at 175 dpi; a signature on it still spans far more than the canvas
    # (and every step here is scale-independent), while a 40 MP upload costs no more.
    working_side = 2048

    def prepare(self, image: Image.Image) -> torch.Tensor:
        return self.prepare_page(find_ink(image))

    def prepare_upload(self, image: Image.Image, one_subject_only: bool) -> PreparedImage:
        # The ink is found once, for the check that the upload is not a photograph and for
        # the crop.
        page = find_ink(image)
        check_signature_likeness(image, page)
        return PreparedImage(self.prepare_page(page))

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
            ink, threshold = ink_mask(grey)
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
