"""From uploaded bytes to a model's input tensor, or a rejection with a stable reason.

Every reason here is also a problem ``type`` slug (``/problems/<reason>``), and the reason
an enroll reports per image, so clients handle a bad probe and a bad enrolment alike.
"""

import hashlib
from dataclasses import dataclass

import torch
from PIL import Image

from app.core.errors import ImageRejectedError
from app.inference.registry import LoadedModel
from models.errors import (
    BlankImageError,
    ImageError,
    NotASignatureError,
    TooManyPixelsError,
    UnsupportedImageFormatError,
)
from models.preprocessing import decode_image
from models.preprocessing.face import FacePreprocessor
from models.preprocessing.face_detection import DetectedFace
from models.preprocessing.signature import SignaturePreprocessor, find_ink
from models.preprocessing.signature_likeness import check_signature_likeness

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
    # Face modality: the face that was embedded, and how many faces the photo showed.
    face: DetectedFace | None = None
    faces_detected: int = 0


def check_size(data: bytes, limits: ImageLimits) -> None:
    if len(data) > limits.max_bytes:
        raise ImageRejectedError(
            "upload-too-large",
            f"the file is {len(data):,} bytes; the limit is {limits.max_bytes:,}",
            status=413,
        )


def prepare_image(
    model: LoadedModel, data: bytes, limits: ImageLimits, single_face: bool = False
) -> PreparedImage:
    """Decode (EXIF orientation applied), check the limits, run the modality's preprocessing.

    ``single_face``: a face photo showing a second face of comparable size is rejected as
    ``multiple-faces`` (enrolment policy: whose face it is must not be a guess).
    """
    check_size(data, limits)
    try:
        image = decode_image(
            data, max_pixels=limits.max_pixels, max_side=model.preprocessor.working_side
        )
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
    digest = hashlib.sha256(data).hexdigest()
    try:
        if isinstance(model.preprocessor, FacePreprocessor):
            return _prepare_face(model.preprocessor, image, digest, single_face)
        if isinstance(model.preprocessor, SignaturePreprocessor):
            # Found once, for the check that it is not a photograph and for the crop.
            page = find_ink(image)
            check_signature_likeness(image, page)
            return PreparedImage(model.preprocessor.prepare_page(page), digest)
        return PreparedImage(model.preprocessor.prepare(image), digest)
    except NotASignatureError as exc:
        raise ImageRejectedError("not-a-signature", str(exc)) from exc
    except BlankImageError as exc:
        reason = _NOTHING_FOUND.get(model.modality, "no-content-found")
        raise ImageRejectedError(reason, str(exc)) from exc
    except ImageError as exc:
        raise ImageRejectedError("image-unusable", str(exc)) from exc


def _prepare_face(
    preprocessor: FacePreprocessor, image: Image.Image, digest: str, single_face: bool
) -> PreparedImage:
    aligned = preprocessor.align(image)
    if single_face and aligned.rival_faces:
        raise ImageRejectedError(
            "multiple-faces",
            f"{len(aligned.faces)} faces were found, {aligned.rival_faces + 1} of them of "
            "comparable size: an enrolment photo must show one person",
        )
    return PreparedImage(aligned.chip, digest, aligned.face, len(aligned.faces))
