"""Write a labelled image set's protocol pairs as a TSV that ``twinverify evaluate`` reads."""

import csv
from pathlib import Path

from models.data.image_set import ImageSet
from models.data.pairs_file import TSV_HEADER
from models.evaluation.all_pairs import protocol_pairs


def write_protocol_pairs(images: ImageSet, out: Path, max_random_negatives: int, seed: int) -> int:
    """Genuine, skilled and (subsampled) random pairs among ``images``; returns the count.

    Paths are written relative to the dataset root, as ``images.paths`` holds them.
    """
    pairs = protocol_pairs(images.identity_ids(), images.is_forgery, max_random_negatives, seed)
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, delimiter="\t", lineterminator="\n")
        writer.writerow(TSV_HEADER)
        for a, b, kind in zip(pairs.first.tolist(), pairs.second.tolist(), pairs.kinds, strict=True):
            writer.writerow([images.paths[a], images.paths[b], int(kind == "genuine"), kind])
    return len(pairs.kinds)
