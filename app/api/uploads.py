"""Reading multipart files without trusting their size."""

from fastapi import UploadFile


def read_upload(upload: UploadFile, max_bytes: int) -> bytes:
    """At most ``max_bytes + 1`` bytes: enough for the image checks to see that a file is
    over the limit, without holding an oversize file in memory."""
    data: bytes = upload.file.read(max_bytes + 1)
    return data


def upload_name(upload: UploadFile, index: int) -> str:
    return upload.filename or f"image {index}"
