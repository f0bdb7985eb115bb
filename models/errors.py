"""Exceptions the training module raises for bad input, so callers can report them cleanly."""


class TwinverifyError(Exception):
    """Base class for every error this package raises on purpose."""


class ConfigError(TwinverifyError):
    """A training configuration is missing, unreadable or invalid; the message names the field."""


class CheckpointError(TwinverifyError):
    """A checkpoint cannot be loaded: wrong format version, architecture or contents."""


class ImageError(TwinverifyError):
    """An image cannot be used: unreadable, truncated, or without usable content."""


class UnreadableImageError(ImageError):
    """The bytes are not a decodable image (corrupt, truncated, empty or unsupported)."""


class BlankImageError(ImageError):
    """The image decodes but holds no usable content (for example a blank page)."""


class NoFaceDetectedError(BlankImageError):
    """The image holds no face the detector can find."""


class NotASignatureError(ImageError):
    """A photograph (a face, a scene) sent where a signature scan belongs."""


class DatasetError(TwinverifyError):
    """A dataset or pairs file is malformed or empty."""


class UnsupportedImageFormatError(ImageError):
    """The bytes are an image, but in a format outside the accepted set."""


class TooManyPixelsError(ImageError):
    """The image declares more pixels than allowed (a decompression bomb or a huge scan)."""
