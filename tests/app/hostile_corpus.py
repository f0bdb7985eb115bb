"""Hostile image files, made here (nothing downloaded), and a run of them through the API.

``python -m tests.app.hostile_corpus OUT.json`` serves the shipped signature model
in-process, sends every file to every image endpoint, and writes per file and endpoint the
status, the problem type, the seconds taken and the process's peak RSS, plus the largest
image (in pixels) the preprocessing was handed: the figures the hostile-input test bounds.
"""

import asyncio
import io
import json
import resource
import struct
import sys
import tempfile
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

WORKING_SIDE = 2048


def _encoded(image: Image.Image, format: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=format, **options)
    return buffer.getvalue()


def _signature(width: int = 600, height: int = 300) -> Image.Image:
    image = Image.new("L", (width, height), 235)
    draw = ImageDraw.Draw(image)
    draw.line([(60, 200), (160, 80), (260, 220), (380, 90), (520, 180)], fill=20, width=6)
    return image


def _png_bomb(width: int, height: int) -> bytes:
    """A valid PNG header declaring width x height with a tiny, never-inflated body."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    body = zlib.compress(b"\x00" * 1024)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", body) + chunk(b"IEND", b"")
    )


def _white_page(side: int) -> bytes:
    return _encoded(Image.new("L", (side, side), 255), "PNG", optimize=True)


def _animated_gif() -> bytes:
    frames = [_signature(), Image.new("L", (600, 300), 255)]
    return _encoded(frames[0], "GIF", save_all=True, append_images=frames[1:])


def _multipage_tiff() -> bytes:
    pages = [_signature(), Image.new("L", (600, 300), 255)]
    return _encoded(pages[0], "TIFF", save_all=True, append_images=pages[1:])


def _transparent() -> bytes:
    hidden = _signature().convert("RGBA")
    hidden.putalpha(0)
    return _encoded(hidden, "PNG")


def _sixteen_bit() -> bytes:
    return _encoded(Image.fromarray(np.asarray(_signature(), np.uint16) * 257), "PNG")


def _polyglot() -> bytes:
    """A PNG that is also a ZIP archive and carries a script after its end."""
    return _encoded(_signature(), "PNG") + b"PK\x03\x04" + b"<script>alert(1)</script>" * 40


def _noise_photo() -> bytes:
    pixels = np.random.default_rng(0).integers(0, 256, (1200, 1600, 3), dtype=np.uint8)
    return _encoded(Image.fromarray(pixels), "JPEG", quality=90)


# name -> (bytes factory, the outcomes allowed: status and problem type, None = success).
# An enrol reports each image's reason inside its 422 no-image-accepted, so there only
# the type is compared.
CORPUS: dict[str, tuple[Callable[[], bytes], set[tuple[int, str | None]]]] = {
    "signature": (lambda: _encoded(_signature(), "PNG"), {(200, None)}),
    "png-bomb-100k-square": (lambda: _png_bomb(100_000, 100_000), {(413, "too-many-pixels")}),
    "png-bomb-1x4g": (lambda: _png_bomb(1, 2**31 - 1), {(413, "too-many-pixels")}),
    "white-6300-square": (lambda: _white_page(6300), {(422, "no-signature-found")}),
    "huge-jpeg-26mp": (lambda: _encoded(_signature().resize((7200, 3600)), "JPEG"), {(200, None)}),
    "truncated-png": (lambda: _encoded(_signature(), "PNG")[:400], {(422, "image-unreadable")}),
    "truncated-jpeg": (lambda: _encoded(_signature(), "JPEG")[:300], {(422, "image-unreadable")}),
    "zero-bytes": (lambda: b"", {(422, "image-unreadable")}),
    "text": (lambda: b"this is not an image\n" * 50, {(422, "image-unreadable")}),
    "svg": (
        lambda: b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>',
        {(422, "image-unreadable")},
    ),
    "animated-gif": (_animated_gif, {(415, "unsupported-image-format")}),
    "multipage-tiff": (_multipage_tiff, {(200, None)}),
    "sixteen-bit-png": (_sixteen_bit, {(200, None)}),
    "cmyk-jpeg": (lambda: _encoded(_signature().convert("CMYK"), "JPEG"), {(200, None)}),
    "transparent-png": (_transparent, {(422, "no-signature-found")}),
    "palette-png": (lambda: _encoded(_signature().convert("P"), "PNG"), {(200, None)}),
    "bilevel-png": (lambda: _encoded(_signature().convert("1"), "PNG"), {(200, None)}),
    "polyglot-png-zip": (_polyglot, {(200, None)}),
    "noise-photo": (_noise_photo, {(422, "not-a-signature"), (422, "no-signature-found")}),
    "tiny": (lambda: _encoded(Image.new("L", (8, 8), 0), "PNG"), {(422, "too-small")}),
}
ENDPOINTS = ("enroll", "verify", "verify-pair", "identify")
# The face modality: no subject to verify against (no file here shows a face, so none
# enrols), so the image endpoints that judge a probe on its own.
FACE_ENDPOINTS = ("enroll", "identify")
# Refusals made while decoding, whatever the modality.
DECODING = {"too-many-pixels", "image-unreadable", "unsupported-image-format", "too-small"}


def face_outcomes(name: str) -> set[tuple[int, str | None]]:
    """No file of the corpus shows a face: the decoding refusals stand, the rest finds none."""
    allowed = CORPUS[name][1]
    decoding = {outcome for outcome in allowed if outcome[1] in DECODING}
    return decoding or {(422, "no-face-detected")}


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


Files = list[tuple[str, tuple[str, bytes, str]]]


def _request(
    endpoint: str, modality: str, data: bytes, good: bytes
) -> tuple[str, dict[str, str], Files]:
    """The path, form fields and files of one endpoint's request carrying ``data``."""
    if endpoint == "enroll":
        form = {"modality": modality, "external_id": f"{modality}-w", "create": "true"}
        return "/v1/enroll", form, [("images", ("x", data, "application/octet-stream"))]
    files: Files = [("image", ("x", data, "application/octet-stream"))]
    if endpoint == "verify":
        return "/v1/verify", {"modality": modality, "external_id": "w"}, files
    if endpoint == "verify-pair":
        files.append(("image_b", ("good.png", good, "image/png")))
        return "/v1/verify", {"modality": modality}, files
    return "/v1/identify", {"modality": modality}, files


async def run(out: Path) -> None:
    from app.core.config import Settings
    from models.bundled import SIGNATURE_CHECKPOINT
    from models.dlib_checkpoint import import_dlib_checkpoint, installed_dlib_weights
    from models.preprocessing.ink import InkedPage
    from models.preprocessing.signature import SignaturePreprocessor
    from tests.app.client import client_for

    largest = [0]
    prepare_page = SignaturePreprocessor.prepare_page

    # Every signature the service prepares goes through prepare_page (the page it is handed
    # is the decoded image, flattened): its size is the pixels the pipeline worked on.
    def spying_prepare_page(self: SignaturePreprocessor, page: InkedPage) -> object:
        largest[0] = max(largest[0], page.grey.size)
        return prepare_page(self, page)

    SignaturePreprocessor.prepare_page = spying_prepare_page  # type: ignore[method-assign,assignment]
    data_dir = Path(tempfile.mkdtemp())
    face = import_dlib_checkpoint(installed_dlib_weights(), data_dir / "face.safetensors")
    settings = Settings(
        data_dir=data_dir,
        admin_key="a" * 32,
        device="cpu",
        face_checkpoint=face,
        signature_checkpoint=SIGNATURE_CHECKPOINT,
    )
    results = []
    async with client_for(settings, ready=True) as client:
        key = {"X-API-Key": (data_dir / "default-api-key").read_text().strip()}
        good = CORPUS["signature"][0]()
        enrolled = await client.post(
            "/v1/enroll",
            data={"modality": "signature", "external_id": "w", "create": "true"},
            files=[
                (
                    "images",
                    (f"{angle}.png", _encoded(_signature().rotate(angle), "PNG"), "image/png"),
                )
                for angle in (-3, 2, 4)
            ],
            headers=key,
        )
        assert enrolled.status_code == 201, enrolled.text
        baseline = _peak_rss_mb()
        for name, (make, _allowed) in CORPUS.items():
            data = make()
            for modality, endpoints in (("signature", ENDPOINTS), ("face", FACE_ENDPOINTS)):
                for endpoint in endpoints:
                    path, form, files = _request(endpoint, modality, data, good)
                    started = time.perf_counter()
                    response = await client.post(path, data=form, files=files, headers=key)
                    seconds = time.perf_counter() - started
                    body = response.json()
                    kind = body.get("type", "").removeprefix("/problems/") or None
                    if endpoint == "enroll" and kind == "no-image-accepted":
                        kind = body["images"][0]["reason"]  # the image's own reason
                    status = 200 if response.status_code in (200, 201) else response.status_code
                    results.append(
                        {
                            "file": name,
                            "bytes": len(data),
                            "modality": modality,
                            "endpoint": endpoint,
                            "status": status,
                            "type": kind,
                            "content_type": response.headers["content-type"],
                            "seconds": round(seconds, 4),
                            "peak_rss_mb": round(_peak_rss_mb(), 1),
                        }
                    )
    out.write_text(
        json.dumps(
            {
                "baseline_rss_mb": baseline,
                "largest_prepared_pixels": largest[0],
                "results": results,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    asyncio.run(run(Path(sys.argv[1])))
