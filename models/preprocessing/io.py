"""Decoding image files and bytes into PIL images, with EXIF orientation applied."""

import io
import warnings
from collections.abc import Collection
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from models.errors import TooManyPixelsError, UnreadableImageError, UnsupportedImageFormatError

# Still-image formats scanners, cameras and the research datasets produce (PPM covers the
# PGM files of face datasets); anything else is refused by name.
SUPPORTED_FORMATS = frozenset({"JPEG", "PNG", "BMP", "TIFF", "WEBP", "PPM"})


def decode_image(
    data: bytes,
    max_pixels: int | None = None,
    formats: Collection[str] = SUPPORTED_FORMATS,
) -> Image.Image:
    """Decode image bytes fully (so truncation is caught here, not later) and upright them.

    The header is checked before any pixel is decoded: the format must be one of ``formats``
    and ``width * height`` at most ``max_pixels``, so a small file that would expand to
    gigabytes is refused without expanding it.
    """
    if not data:
        raise UnreadableImageError("the image is empty (zero bytes)")
    try:
        with warnings.catch_warnings():
            # Our own pixel limit applies; Pillow's bomb warning would only be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                _check_header(image, max_pixels, formats)
                image.load()
                upright = ImageOps.exif_transpose(image)
    except Image.DecompressionBombError as exc:
        raise TooManyPixelsError(f"the image has too many pixels: {exc}") from exc
    except UnidentifiedImageError as exc:
        accepted = ", ".join(sorted(formats))
        raise UnreadableImageError(
            f"the data is not a decodable image (accepted formats: {accepted})"
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise UnreadableImageError(f"the image cannot be decoded: {exc}") from exc
    return upright


def _check_header(image: Image.Image, max_pixels: int | None, formats: Collection[str]) -> None:
    if image.format not in formats:
        accepted = ", ".join(sorted(formats))
        raise UnsupportedImageFormatError(
            f"{image.format or 'this'} images are not accepted (accepted formats: {accepted})"
        )
    pixels = image.width * image.height
    if max_pixels is not None and pixels > max_pixels:
        raise TooManyPixelsError(
            f"the image is {image.width}x{image.height} ({pixels:,} pixels); "
            f"the limit is {max_pixels:,}"
        )


def load_image(path: Path) -> Image.Image:
    """Read and decode an image file; unreadable files raise :class:`UnreadableImageError`
    (the message leaves the path to the caller, who knows how to name it)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableImageError(f"cannot read the file: {exc.strerror or exc}") from exc
    return decode_image(data)
