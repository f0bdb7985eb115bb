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

import numpy as np

from models.errors import TrajectoryError
from models.evaluation.metrics import equal_error_rate
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


# For one writer: a function scoring a questioned signature against that writer's
# references (higher means more alike).
Scorer = Callable[[Writer], Callable[[Trajectory], float]]


@dataclass(frozen=True)
class TrialEERs:
    vs_skilled: float
    vs_random: float
    genuine: int
    skilled: int
    random: int


def random_forgeries(online: OnlineSet, writer: Writer) -> list[Trajectory]:
    """One genuine probe (the first) of every other writer."""
    return [w.genuine[0] for w in online.writers if w is not writer and w.genuine]


def trial_eers(online: OnlineSet, scorer: Scorer) -> TrialEERs:
    """Every writer's genuine, skilled and random trials scored with one global threshold:
    the EER against skilled and against random forgeries."""
    genuine: list[float] = []
    skilled: list[float] = []
    random: list[float] = []
    for writer in online.writers:
        score = scorer(writer)
        genuine += [score(t) for t in writer.genuine]
        skilled += [score(t) for t in writer.skilled]
        random += [score(t) for t in random_forgeries(online, writer)]

    def eer(impostors: list[float]) -> float:
        labels = np.r_[np.ones(len(genuine)), np.zeros(len(impostors))]
        return equal_error_rate(np.r_[genuine, impostors], labels).rate

    return TrialEERs(eer(skilled), eer(random), len(genuine), len(skilled), len(random))
