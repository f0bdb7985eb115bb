"""From uploaded bytes to a model's input tensor, or a rejection with a stable reason.

Every reason here is also a problem ``type`` slug (``/problems/<reason>``), and the reason
an enroll reports per image, so clients handle a bad probe and a bad enrolment alike.
"""

import hashlib
from dataclasses import dataclass

import torch

from app.core.errors import ImageRejectedError
from app.inference.registry import LoadedModel
from models.errors import (
    BlankImageError,
    ImageError,
    TooManyPixelsError,
    UnsupportedImageFormatError,
)
from models.preprocessing import decode_image

# What a preprocessor's BlankImageError means for each modality.
_NOTHING_FOUND = {"signature": "no-signature-found", "face": "no-face-detected"}


@dataclass(frozen=True)
class ImageLimits:
    max_bytes: int
    max_pixels: int
    min_side: int


@dataclass(frozen=True)
class PreparedImage:
    tensor: torch.Tensor  # uint8 (C, H, W), the preprocessor's output
    sha256: str


def check_size(data: bytes, limits: ImageLimits) -> None:
    if len(data) > limits.max_bytes:
        raise ImageRejectedError(
            "upload-too-large",
            f"the file is {len(data):,} bytes; the limit is {limits.max_bytes:,}",
            status=413,
        )


def prepare_image(model: LoadedModel, data: bytes, limits: ImageLimits) -> PreparedImage:
    """Decode (EXIF orientation applied), check the limits, run the modality's preprocessing."""
    check_size(data, limits)
    try:
        image = decode_image(data, max_pixels=limits.max_pixels)
    except UnsupportedImageFormatError as exc:
        raise ImageRejectedError("unsupported-image-format", str(exc), status=415) from exc
    except TooManyPixelsError as exc:
        raise ImageRejectedError("too-many-pixels", str(exc), status=413) from exc
    except ImageError as exc:
        raise ImageRejectedError("image-unreadable", str(exc)) from exc
    if min(image.size) < limits.min_side:
        raise ImageRejectedError(
            "too-small",
            f"the image is {image.width}x{image.height}; "
            f"both sides must be at least {limits.min_side} pixels",
        )
    try:
        tensor = model.preprocessor.prepare(image)
    except BlankImageError as exc:
        reason = _NOTHING_FOUND.get(model.modality, "no-content-found")
        raise ImageRejectedError(reason, str(exc)) from exc
    except ImageError as exc:
        raise ImageRejectedError("image-unusable", str(exc)) from exc
    return PreparedImage(tensor, hashlib.sha256(data).hexdigest())
