"""Writer-independent trials for online signatures: references, genuine probes, skilled
and random forgeries, per writer, for SVC2004 (Task 2) and SUSig (visual sub-corpus).

Each writer's first ``references`` genuine signatures are the references. SVC2004: the
other genuine ones (S6-S20 with 5 references) are genuine trials, S21-S40 skilled
forgeries. SUSig: the references come from the first session; the second session's genuine
signatures are genuine trials (a later day, as in use), the forgery folder's are skilled
forgeries. Random forgeries: one genuine probe of each other writer (its first probe).
Files a reader refuses are skipped and counted.
"""

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from models.errors import TrajectoryError
from models.online.trajectory import Trajectory, read_susig, read_svc2004


@dataclass
class Writer:
    name: str
    references: list[Trajectory]
    genuine: list[Trajectory]
    skilled: list[Trajectory]


@dataclass
class OnlineSet:
    name: str
    writers: list[Writer]
    skipped: list[str] = field(default_factory=list)


def _load(
    paths: list[Path], read: Callable[[Path], Trajectory], skipped: list[str]
) -> list[Trajectory]:
    loaded = []
    for path in paths:
        try:
            loaded.append(read(path))
        except TrajectoryError as exc:
            skipped.append(f"{path.name}: {exc.reason}")
    return loaded


def _number(path: Path) -> int:
    return int(re.findall(r"\d+", path.stem)[-1])


def svc2004(root: Path, references: int = 5) -> OnlineSet:
    skipped: list[str] = []
    files: dict[str, dict[int, Path]] = {}
    for path in root.glob("U*S*.TXT"):
        user, number = re.fullmatch(r"U(\d+)S(\d+)", path.stem).groups()  # type: ignore[union-attr]
        files.setdefault(user, {})[int(number)] = path
    writers = []
    for user in sorted(files, key=int):
        genuine = [files[user][n] for n in sorted(files[user]) if n <= 20]
        skilled = [files[user][n] for n in sorted(files[user]) if n > 20]
        loaded = _load(genuine, read_svc2004, skipped)
        writers.append(
            Writer(
                f"U{user}",
                loaded[:references],
                loaded[references:],
                _load(skilled, read_svc2004, skipped),
            )
        )
    return OnlineSet("SVC2004 Task 2", writers, skipped)


def susig(root: Path, references: int = 5) -> OnlineSet:
    visual = root / "VisualSubCorpus"
    skipped: list[str] = []
    writers = []
    users = sorted(
        {path.name.split("_")[0] for path in (visual / "GENUINE" / "SESSION1").glob("*.sig")}
    )
    for user in users:
        first = sorted((visual / "GENUINE" / "SESSION1").glob(f"{user}_1_*.sig"), key=_number)
        second = sorted((visual / "GENUINE" / "SESSION2").glob(f"{user}_2_*.sig"), key=_number)
        forged = sorted((visual / "FORGERY").glob(f"{user}_f_*.sig"), key=_number)
        writers.append(
            Writer(
                user,
                _load(first, read_susig, skipped)[:references],
                _load(second, read_susig, skipped),
                _load(forged, read_susig, skipped),
            )
        )
    return OnlineSet("SUSig visual", [w for w in writers if w.references and w.genuine], skipped)
