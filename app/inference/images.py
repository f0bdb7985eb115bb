"""From uploaded bytes to a model's input, or a rejection with a stable reason.

The served model names the reason (``ImageError.reason``); here it becomes a problem
``type`` slug (``/problems/<reason>``) and an HTTP status, and the reason an enroll reports
per image, so clients handle a bad probe and a bad enrolment alike.
"""

from app.core.errors import ImageRejectedError
from models.errors import ImageError
from models.serving import InputLimits, PreparedInput, ServedModel

# Reasons that are not "unprocessable content" (422).
_STATUS = {"upload-too-large": 413, "too-many-pixels": 413, "unsupported-image-format": 415}


def prepare_image(
    model: ServedModel, data: bytes, limits: InputLimits, single_face: bool = False
) -> PreparedInput:
    """``single_face``: a face photo showing a second face of comparable size is rejected as
    ``multiple-faces`` (enrolment policy: whose face it is must not be a guess)."""
    try:
        return model.prepare(data, limits, one_subject_only=single_face)
    except ImageError as exc:
        raise ImageRejectedError(exc.reason, str(exc), _STATUS.get(exc.reason, 422)) from exc
