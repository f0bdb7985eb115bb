"""Export scikit-learn's handwritten digits as a folder dataset plus an unseen-digit pairs file.

``python -m models.demo DIR`` writes ``DIR/train/digit0..6/*.png`` (for training),
``DIR/unseen/digit7..9/*.png`` and ``DIR/unseen_pairs.tsv``: every pair of unseen-digit
images, the one-shot check of the seed demonstration. The digits ship inside
scikit-learn, so this needs no download.
"""

import argparse
import itertools
from pathlib import Path

import numpy as np
from PIL import Image
from sklearn.datasets import load_digits

SEEN = range(7)
UNSEEN = range(7, 10)
UNSEEN_PER_DIGIT = 40


def export(root: Path) -> tuple[int, int]:
    """Write the folders and the pairs file; returns ``(images written, pairs written)``."""
    digits = load_digits()
    pixels = np.round(digits.images / 16.0 * 255.0).astype(np.uint8)
    written: dict[int, list[Path]] = {}
    for digit in [*SEEN, *UNSEEN]:
        part = "train" if digit in SEEN else "unseen"
        folder = root / part / f"digit{digit}"
        folder.mkdir(parents=True, exist_ok=True)
        members = np.flatnonzero(digits.target == digit)
        if digit in UNSEEN:
            members = members[:UNSEEN_PER_DIGIT]
        written[digit] = []
        for index in members:
            path = folder / f"{index:04d}.png"
            Image.fromarray(pixels[index]).save(path)
            written[digit].append(path)
    unseen = [(path, digit) for digit in UNSEEN for path in written[digit]]
    lines = ["a\tb\tlabel\tkind"]
    for (a, digit_a), (b, digit_b) in itertools.combinations(unseen, 2):
        same = digit_a == digit_b
        kind = "genuine" if same else "random"
        lines.append(f"{a.relative_to(root)}\t{b.relative_to(root)}\t{int(same)}\t{kind}")
    (root / "unseen_pairs.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return sum(len(paths) for paths in written.values()), len(lines) - 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", type=Path)
    images, pairs = export(parser.parse_args().root)
    print(f"wrote {images} digit images and {pairs} unseen-digit pairs")


if __name__ == "__main__":
    main()
