"""Decoding image files and bytes into PIL images, with EXIF orientation applied."""

import io
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from models.errors import UnreadableImageError


def decode_image(data: bytes) -> Image.Image:
    """Decode image bytes fully (so truncation is caught here, not later) and upright them."""
    if not data:
        raise UnreadableImageError("the image is empty (zero bytes)")
    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
            upright = ImageOps.exif_transpose(image)
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise UnreadableImageError(f"the image cannot be decoded: {exc}") from exc
    return upright


def load_image(path: Path) -> Image.Image:
    """Read and decode an image file; unreadable files raise :class:`UnreadableImageError`
    (the message leaves the path to the caller, who knows how to name it)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UnreadableImageError(f"cannot read the file: {exc.strerror or exc}") from exc
    return decode_image(data)
