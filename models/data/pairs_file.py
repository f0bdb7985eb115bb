"""Evaluation pairs: our TSV format (``a  b  label  kind``) and LFW's ``pairs.txt``."""

import csv
import re
from dataclasses import dataclass
from pathlib import Path

from models.errors import DatasetError

TSV_HEADER = ["a", "b", "label", "kind"]
FOLD_KIND = re.compile(r"^fold(\d+)$")


@dataclass(frozen=True)
class Pair:
    """Two image paths, ``label`` 1 for same identity / genuine and 0 otherwise, a free ``kind``."""

    a: Path
    b: Path
    label: int
    kind: str


def read_pairs(path: Path, root: Path | None = None) -> list[Pair]:
    """Read a pairs file, detecting the format from its first line.

    Relative image paths resolve against ``root`` (default: the pairs file's folder).
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise DatasetError(f"cannot read pairs file {path}: {exc.strerror or exc}") from exc
    if not lines:
        raise DatasetError(f"pairs file {path} is empty")
    base = root if root is not None else path.parent
    if lines[0].split("\t") == TSV_HEADER:
        pairs = _read_tsv(lines, base, path)
    elif re.fullmatch(r"\d+(\s+\d+)?", lines[0].strip()):
        pairs = _read_lfw(lines, base, path)
    else:
        raise DatasetError(
            f"{path}: unknown pairs format; expected the header 'a<TAB>b<TAB>label<TAB>kind' "
            "or an LFW pairs.txt"
        )
    if not pairs:
        raise DatasetError(f"pairs file {path} holds no pairs")
    return pairs


def _resolve(base: Path, value: str) -> Path:
    candidate = Path(value)
    return candidate if candidate.is_absolute() else base / candidate


def _read_tsv(lines: list[str], base: Path, source: Path) -> list[Pair]:
    pairs = []
    for number, row in enumerate(csv.reader(lines[1:], delimiter="\t"), start=2):
        if not row or not "".join(row).strip():
            continue
        if len(row) != 4:
            raise DatasetError(f"{source}:{number}: expected 4 tab-separated fields, got {len(row)}")
        a, b, label, kind = row
        if label not in ("0", "1"):
            raise DatasetError(f"{source}:{number}: label must be 0 or 1, got {label!r}")
        pairs.append(Pair(_resolve(base, a), _resolve(base, b), int(label), kind))
    return pairs


def _lfw_image(base: Path, name: str, number: str) -> Path:
    return base / name / f"{name}_{int(number):04d}.jpg"


def _read_lfw(lines: list[str], base: Path, source: Path) -> list[Pair]:
    """LFW View 2: header ``folds  n``, then per fold n same-person and n different-person lines."""
    header = [int(value) for value in lines[0].split()]
    folds, per_fold = (header[0], header[1]) if len(header) == 2 else (1, header[0])
    if (base / "images").is_dir() and not any(base.glob("*/*_0001.jpg")):
        base = base / "images"
    body = [line for line in lines[1:] if line.strip()]
    if len(body) != folds * 2 * per_fold:
        raise DatasetError(
            f"{source}: header promises {folds} folds of {2 * per_fold} pairs, found {len(body)} lines"
        )
    pairs = []
    for number, line in enumerate(body, start=2):
        fields = line.split("\t") if "\t" in line else line.split()
        kind = f"fold{(number - 2) // (2 * per_fold) + 1}"
        if len(fields) == 3:
            name, i, j = fields
            pairs.append(Pair(_lfw_image(base, name, i), _lfw_image(base, name, j), 1, kind))
        elif len(fields) == 4:
            first, i, second, j = fields
            pairs.append(Pair(_lfw_image(base, first, i), _lfw_image(base, second, j), 0, kind))
        else:
            raise DatasetError(f"{source}:{number}: expected 3 or 4 fields, got {len(fields)}")
    return pairs
