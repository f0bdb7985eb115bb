"""Exceptions the training module raises for bad input, so callers can report them cleanly."""


class TwinverifyError(Exception):
    """Base class for every error this package raises on purpose."""


class ConfigError(TwinverifyError):
    """A training configuration is missing, unreadable or invalid; the message names the field."""


class CheckpointError(TwinverifyError):
    """A checkpoint cannot be loaded: wrong format version, architecture or contents."""


class ImageError(TwinverifyError):
    """An image cannot be used: unreadable, truncated, or without usable content.

    ``reason`` is a stable slug naming why, the same for every caller (the service reports
    it as a problem type and per enrolled image; the evaluation logs it).
    """

    reason = "image-unusable"


class UnreadableImageError(ImageError):
    """The bytes are not a decodable image (corrupt, truncated, empty or unsupported)."""

    reason = "image-unreadable"


class BlankImageError(ImageError):
    """The image decodes but holds no usable content (for example a blank page)."""

    reason = "no-content-found"


class NoSignatureFoundError(BlankImageError):
    """The page holds no ink a signature could be made of."""

    reason = "no-signature-found"


class NoFaceDetectedError(BlankImageError):
    """The image holds no face the detector can find."""

    reason = "no-face-detected"


class MultipleFacesError(ImageError):
    """An enrolment photo shows a second face of comparable size: whose face it is would be
    a guess."""

    reason = "multiple-faces"


class NotASignatureError(ImageError):
    """A photograph (a face, a scene) sent where a signature scan belongs."""

    reason = "not-a-signature"


class DatasetError(TwinverifyError):
    """A dataset or pairs file is malformed or empty."""


class UnsupportedImageFormatError(ImageError):
    """The bytes are an image, but in a format outside the accepted set."""

    reason = "unsupported-image-format"


class UploadTooLargeError(ImageError):
    """The file has more bytes than the limit."""

    reason = "upload-too-large"


class ImageTooSmallError(ImageError):
    """A side of the image is shorter than the limit: too little to judge."""

    reason = "too-small"


class TooManyPixelsError(ImageError):
    """The image declares more pixels than allowed (a decompression bomb or a huge scan)."""

    reason = "too-many-pixels"


class TrajectoryError(ImageError):
    """A pen trajectory (an online signature) cannot be used. It travels in the same upload
    fields as an image, so its reasons are reported the same way."""

    reason = "trajectory-unreadable"


class TooFewPointsError(TrajectoryError):
    """Too few pen-down points to be a signature."""

    reason = "too-few-points"


class TooManyPointsError(TrajectoryError):
    """More points than any pad records for one signature: refused before any work."""

    reason = "too-many-points"


class NonMonotonicTimeError(TrajectoryError):
    """Timestamps go backwards: the points are not one pen's trajectory in order."""

    reason = "non-monotonic-time"
