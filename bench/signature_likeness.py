"""The "is this a signature at all?" check, per face detector: what it refuses and costs.

Signature uploads are checked for a face (``models/preprocessing/signature_likeness.py``)
on a copy at most 320 px on its longer side. This runs that face cue with each detector
over real signatures (CEDAR, BHSig260, cross-media scans: every one refused is a false
refusal) and real face photos (LFW, ORL: every one passed gets through the face cue), and
prints, per detector and confidence, the share refused of each, with the milliseconds the
cue cost per upload on one thread. The paper cue (shaded background) does not depend on
the detector and is printed once.

    python -m bench.signature_likeness [--datasets ../shared/datasets] [--per-set 600]
"""

import argparse
import random
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image

from models.errors import NoSignatureFoundError
from models.preprocessing.face_detection import shrunk, thread_detector
from models.preprocessing.face_options import DetectorName
from models.preprocessing.ink import find_ink
from models.preprocessing.signature_likeness import (
    DETECTION_SIDE,
    MAX_DARK_PAPER,
    PAPER_LEVEL,
    SMALLEST_FACE,
)

CONFIDENCES = (0.9, 0.95, 0.97, 0.99)


def sample(paths: list[Path], count: int, seed: int = 0) -> list[Path]:
    paths = sorted(paths)
    return random.Random(seed).sample(paths, min(count, len(paths)))


def image_sets(root: Path, per_set: int) -> dict[str, tuple[bool, list[Path]]]:
    """Name -> (is a signature, the images)."""
    return {
        "CEDAR": (True, sample(list((root / "cedar").rglob("*.png")), per_set)),
        "BHSig260": (True, sample(list((root / "bhsig260").rglob("*.png")), per_set)),
        "cross-media": (True, sample(list((root / "crossmedia").rglob("*.png")), per_set)),
        "LFW": (False, sample(list((root / "lfw" / "images").rglob("*.jpg")), per_set)),
        "ORL": (False, sample(list((root / "orl").rglob("*.png")), per_set)),
    }


def face_confidences(images: list[np.ndarray], detector: DetectorName) -> tuple[np.ndarray, float]:
    """Each image's best face confidence (0 without a face) and ms per image."""
    found = thread_detector(SMALLEST_FACE, detector)
    scores = []
    started = time.perf_counter()
    for rgb in images:
        small, _ = shrunk(rgb, DETECTION_SIDE)
        scores.append(max((face.score for face in found.detect(small)), default=0.0))
    return np.asarray(scores), 1000 * (time.perf_counter() - started) / len(images)


def shaded_paper(image: Image.Image) -> bool:
    try:
        page = find_ink(image)
    except NoSignatureFoundError:  # refused before the likeness check, not by it
        return False
    return float((page.grey[~page.ink] < PAPER_LEVEL).mean()) > MAX_DARK_PAPER


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--per-set", type=int, default=600, help="images sampled per set")
    args = parser.parse_args()
    cv2.setNumThreads(1)  # the cost on one thread, as one request pays it
    sets = image_sets(args.datasets, args.per_set)
    loaded = {
        name: (signature, [Image.open(path) for path in paths])
        for name, (signature, paths) in sets.items()
    }
    print(f"{'set':12s} {'images':>6s} {'shaded paper':>13s}")
    for name, (_, images) in loaded.items():
        shaded = np.mean([shaded_paper(image) for image in images])
        print(f"{name:12s} {len(images):6d} {100 * shaded:12.1f} %")
    for detector in ("mtcnn", "yunet"):
        print(f"\nface cue, {detector}: share with a face at confidence >= c, ms per image")
        print(f"{'set':12s} " + " ".join(f"c={c:<5}" for c in CONFIDENCES) + "   ms/image")
        for name, (_, images) in loaded.items():
            rgb = [np.asarray(image.convert("RGB"), dtype=np.uint8) for image in images]
            scores, ms = face_confidences(rgb, detector)
            shares = " ".join(f"{100 * float((scores >= c).mean()):6.1f}%" for c in CONFIDENCES)
            print(f"{name:12s} {shares}   {ms:6.2f}")


if __name__ == "__main__":
    main()
