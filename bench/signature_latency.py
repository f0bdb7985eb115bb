"""Per-image latency of the shipped signature model on this machine's CPU.

Times decode + preprocess + embed for one image at a time (batch 1, the service's worst
case), on CEDAR scans as stored (half the original resolution) and upscaled 2x to the
original scan size, with 1 and 2 torch threads.

    python -m bench.signature_latency [--checkpoint PATH] [--images 60]
"""

import argparse
import io
import statistics
import time
from pathlib import Path

import torch
from PIL import Image

from models.bundled import SIGNATURE_CHECKPOINT
from models.checkpoint import load_checkpoint
from models.preprocessing import build_preprocessor, decode_image

CEDAR = Path(__file__).resolve().parents[1].parent / "shared" / "datasets" / "cedar"


def _scans(count: int, scale: int) -> list[bytes]:
    files = sorted(CEDAR.glob("*/original_*.png"))[:count]
    if not files:
        raise SystemExit(f"no CEDAR scans under {CEDAR}")
    scans = []
    for path in files:
        with Image.open(path) as image:
            sized = image.resize(
                (image.width * scale, image.height * scale), Image.Resampling.BICUBIC
            )
            buffer = io.BytesIO()
            sized.save(buffer, format="PNG")
            scans.append(buffer.getvalue())
    return scans


def _time(checkpoint: Path, scans: list[bytes]) -> list[float]:
    loaded = load_checkpoint(checkpoint, "cpu")
    model = loaded.model.eval()
    preprocessor = build_preprocessor(loaded.metadata.preprocessing)
    timings = []
    with torch.inference_mode():
        for data in scans[:5] + scans:  # the first five warm up
            started = time.perf_counter()
            prepared = preprocessor.prepare(decode_image(data))
            model.embed(preprocessor.to_input(prepared[None]))
            timings.append(time.perf_counter() - started)
    return timings[5:]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", type=Path, default=SIGNATURE_CHECKPOINT)
    parser.add_argument("--images", type=int, default=60)
    args = parser.parse_args()
    print(f"checkpoint {args.checkpoint} ({args.checkpoint.stat().st_size / 1e6:.2f} MB)")
    for scale, label in ((1, "as stored (~290x170)"), (2, "original scan size (~580x340)")):
        scans = _scans(args.images, scale)
        for threads in (1, 2):
            torch.set_num_threads(threads)
            ms = sorted(1000 * t for t in _time(args.checkpoint, scans))
            p90 = ms[int(0.9 * (len(ms) - 1))]
            print(
                f"{label:<30} threads={threads}: median {statistics.median(ms):6.2f} ms, "
                f"p90 {p90:6.2f} ms per image ({len(ms)} images)"
            )


if __name__ == "__main__":
    main()
