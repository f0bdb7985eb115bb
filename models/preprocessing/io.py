"""Decoding image files and bytes into PIL images, with EXIF orientation applied."""

import io
import math
import warnings
from collections.abc import Collection
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from models.errors import TooManyPixelsError, UnreadableImageError, UnsupportedImageFormatError

# Still-image formats scanners, cameras and the research datasets produce (PPM covers the
# PGM files of face datasets); anything else is refused by name.
SUPPORTED_FORMATS = frozenset({"JPEG", "PNG", "BMP", "TIFF", "WEBP", "PPM"})


# 16-bit greyscale as Pillow opens it (PNG, TIFF); "I" is 32-bit integer.
_WIDE_GREY_MODES = frozenset({"I;16", "I;16B", "I;16L", "I;16N", "I"})
# Modes kept as they are on the way to the working resolution; others are converted.
_REDUCIBLE_MODES = frozenset({"L", "RGB", "I", "F"})


def decode_image(
    data: bytes,
    max_pixels: int | None = None,
    formats: Collection[str] = SUPPORTED_FORMATS,
    max_side: int | None = None,
) -> Image.Image:
    """Decode image bytes fully (so truncation is caught here, not later) and upright them.

    The header is checked before any pixel is decoded: the format must be one of ``formats``
    and ``width * height`` at most ``max_pixels``, so a small file that would expand to
    gigabytes is refused without expanding it.

    The result is what a viewer sees, as 8-bit grey or RGB: transparency flattened onto
    white (hidden pixels under a transparent alpha are not content), 16-bit grey scaled to
    8 bits (not clipped). ``max_side`` is the caller's working resolution: a larger image
    is reduced (area average) until its longer side fits, a JPEG already while decoding
    (DCT scaling), so a huge photo never exists in memory at full size.
    """
    if not data:
        raise UnreadableImageError("the image is empty (zero bytes)")
    try:
        with warnings.catch_warnings():
            # Our own pixel limit applies; Pillow's bomb warning would only be noise.
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as image:
                _check_header(image, max_pixels, formats)
                if max_side is not None:
                    _draft(image, max_side)
                image.load()
                upright = ImageOps.exif_transpose(image)
                visible = _working_copy(upright, max_side)
    except Image.DecompressionBombError as exc:
        raise TooManyPixelsError(f"the image has too many pixels: {exc}") from exc
    except UnidentifiedImageError as exc:
        accepted = ", ".join(sorted(formats))
        raise UnreadableImageError(
            f"the data is not a decodable image (accepted formats: {accepted})"
        ) from exc
    except (OSError, SyntaxError, ValueError) as exc:
        raise UnreadableImageError(f"the image cannot be decoded: {exc}") from exc
    return visible


def _draft(image: Image.Image, max_side: int) -> None:
    """Let the JPEG decoder scale by 1/2, 1/4 or 1/8 on its own (no other format can)."""
    factor = max(image.size) / max_side
    if image.format == "JPEG" and factor > 1:
        target = (math.ceil(image.width / factor), math.ceil(image.height / factor))
        image.draft(image.mode, target)


def _working_copy(image: Image.Image, max_side: int | None) -> Image.Image:
    image = _flatten_transparency(image)
    sixteen_bit = image.mode in _WIDE_GREY_MODES and image.mode != "I"
    if image.mode in _WIDE_GREY_MODES:
        image = image.convert("I")  # 32-bit integers, values kept, resizable
    elif image.mode not in _REDUCIBLE_MODES:
        # bilevel scans to grey; palette, CMYK, YCbCr, ... to RGB
        image = image.convert("L" if image.mode == "1" else "RGB")
    if max_side is not None and max(image.size) > max_side:
        scale = max_side / max(image.size)
        size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
        image = image.resize(size, Image.Resampling.BOX)  # an area average
    if image.mode == "I":
        image = _eight_bit_grey(image, sixteen_bit)
    return image


def _flatten_transparency(image: Image.Image) -> Image.Image:
    has_alpha = "A" in image.getbands() or (
        image.mode in ("P", "L", "RGB") and "transparency" in image.info
    )
    if not has_alpha:
        return image
    grey = image.mode in ("LA", "La", "L")
    rgba = image.convert("RGBA")
    white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    return Image.alpha_composite(white, rgba).convert("L" if grey else "RGB")


def _eight_bit_grey(image: Image.Image, sixteen_bit: bool) -> Image.Image:
    """16 (or 32) bits per pixel to 8 by scaling, where a plain conversion clips at 255.

    A 32-bit integer image holding 8-bit values (some TIFF writers) is kept as it is."""
    values = np.asarray(image, dtype=np.float32)
    wide = sixteen_bit or values.max(initial=0) > 255
    scaled = values / 257.0 if wide else values
    return Image.fromarray(np.clip(np.rint(scaled), 0, 255).astype(np.uint8), mode="L")


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
