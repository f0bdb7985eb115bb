"""Is an upload a signature scan at all? Photographs sent as signatures are refused.

The signature pipeline finds "ink" in anything: a portrait's hair and eyes, a room's
shadows. Two cues tell a photograph apart, each measured on CEDAR, BHSig260 and the
cross-media scans (1,200 signatures, none refused) against LFW and ORL faces:

- a face, found with high confidence on a small copy (98-100 % of the face photos);
- paper that is not paper: after the page's brightness is divided out, a scan's
  background is nearly white everywhere (at most 1.3 % of it darker than 200 in every
  signature measured), where a photograph's "background" holds its mid-tones (LFW: half of
  the photos above 17 %).

The service runs it on signature uploads; training and evaluation read datasets that are
signatures by construction, so they do not pay for it.
"""

import numpy as np
from PIL import Image

from models.errors import NotASignatureError
from models.preprocessing.face_detection import shrunk, thread_detector
from models.preprocessing.ink import InkedPage

# A face this sure, on a copy this small (cheap: ~10 ms), is a photograph of a person.
FACE_CONFIDENCE = 0.97
DETECTION_SIDE = 320
SMALLEST_FACE = 24
# Background pixels (outside the ink) darker than PAPER_LEVEL after flattening: more than
# this fraction of them is a photograph's shading, not paper. 8x the most any scan showed:
# grey, blocky strokes (a pencil, an upscaled low-resolution scan) leave some mid-tones
# outside Otsu's ink mask (the test suite's pixelated digits reach 5 %).
PAPER_LEVEL = 200
MAX_DARK_PAPER = 0.10


def check_signature_likeness(image: Image.Image, page: InkedPage) -> None:
    """Raise :class:`NotASignatureError` for a photograph; ``page`` is the image's ink as
    the signature pipeline found it (``find_ink``)."""
    dark_paper = float((page.grey[~page.ink] < PAPER_LEVEL).mean())
    if dark_paper > MAX_DARK_PAPER:
        raise NotASignatureError(
            f"this looks like a photograph, not a signature scan: {dark_paper:.0%} of the "
            "background is shaded (a scan's paper is white); send a scan or a photo of "
            "the signature alone on paper"
        )
    if _face_confidence(image) >= FACE_CONFIDENCE:
        raise NotASignatureError(
            "this is a photograph of a face, not a signature: send a scan of the signature"
        )


def _face_confidence(image: Image.Image) -> float:
    small, _ = shrunk(np.asarray(image.convert("RGB"), dtype=np.uint8), DETECTION_SIDE)
    faces = thread_detector(SMALLEST_FACE).detect(small)
    return max((face.score for face in faces), default=0.0)
