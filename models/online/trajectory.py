"""A pen trajectory and the formats it arrives in.

One row per sampled point: ``x, y, t, pressure, pen_down`` (``t`` in milliseconds,
``pressure`` in the device's units, ``pen_down`` 1 while the pen touches). The readers take
the JSON the service accepts (``{"points": [[x, y, t, pressure, pen_down], ...]}``),
SVC2004's ``.TXT`` and SUSig's ``.sig`` files; every one of them ends in :func:`checked`,
which refuses what cannot be one signature with a stable reason, bounded like an image
(a count of points, finite coordinates of sane size, time that does not run backwards).
"""

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from models.errors import (
    NonMonotonicTimeError,
    TooFewPointsError,
    TooManyPointsError,
    TrajectoryError,
)

COLUMNS = ("x", "y", "t", "pressure", "pen_down")
MIN_PEN_DOWN_POINTS = 16  # under 0.2 s at 100 Hz: a dot or a tap, not a signature
MAX_POINTS = 20_000  # 200 s at 100 Hz; SVC2004's longest is under 2,000
MAX_COORDINATE = 1e7  # larger magnitudes are no pad's units
MAX_TIMESTAMP = 1e13  # milliseconds since the epoch are 1.8e12
MAX_DURATION_MS = 120_000.0
MAX_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Trajectory:
    points: NDArray[np.float64]  # (N, 5): x, y, t, pressure, pen_down

    @property
    def pen_down(self) -> NDArray[np.bool_]:
        return np.asarray(self.points[:, 4] > 0)

    def __len__(self) -> int:
        return int(self.points.shape[0])


def checked(points: NDArray[np.float64]) -> Trajectory:
    """``points`` as a trajectory, or the reason it cannot be one."""
    if points.ndim != 2 or points.shape[1] != len(COLUMNS):
        raise TrajectoryError(f"each point needs {len(COLUMNS)} values: {', '.join(COLUMNS)}")
    if points.shape[0] > MAX_POINTS:
        raise TooManyPointsError(f"{points.shape[0]} points; at most {MAX_POINTS} are accepted")
    if not np.isfinite(points).all():
        raise TrajectoryError("every value must be a finite number")
    if np.abs(points[:, [0, 1, 3]]).max(initial=0.0) > MAX_COORDINATE:
        raise TrajectoryError(f"coordinates and pressures must lie within ±{MAX_COORDINATE:g}")
    if np.abs(points[:, 2]).max(initial=0.0) > MAX_TIMESTAMP:
        raise TrajectoryError(f"timestamps are milliseconds, at most {MAX_TIMESTAMP:g}")
    steps = np.diff(points[:, 2])
    # Pads' clocks jitter: a step back of up to two sampling intervals is a glitch (SUSig
    # has some), and the time is carried forward over it; a larger one is not one pen's
    # trajectory in order.
    forward = steps[steps > 0]
    tolerance = 2 * float(np.median(forward)) if forward.size else 0.0
    if np.any(steps < -tolerance):
        raise NonMonotonicTimeError("timestamps go backwards: the points are out of order")
    if points.shape[0] and points[-1, 2] - points[0, 2] > MAX_DURATION_MS:
        raise TooManyPointsError(f"a signature lasts at most {MAX_DURATION_MS / 1000:g} s")
    pen_down = int((points[:, 4] > 0).sum())
    if pen_down < MIN_PEN_DOWN_POINTS:
        raise TooFewPointsError(
            f"{pen_down} pen-down points; a signature needs at least {MIN_PEN_DOWN_POINTS}"
        )
    relative = np.array(points, dtype=np.float64)
    relative[:, 2] = np.maximum.accumulate(relative[:, 2]) - relative[0, 2]  # from zero
    return Trajectory(relative)


def parse_json(data: bytes) -> Trajectory:
    """The service's format: ``{"points": [[x, y, t, pressure, pen_down], ...]}``."""
    if len(data) > MAX_BYTES:
        raise TooManyPointsError(f"the trajectory is over {MAX_BYTES:,} bytes")
    try:
        document = json.loads(data)
        rows = document["points"]
        points = np.asarray(rows, dtype=np.float64)
    except (ValueError, TypeError, KeyError, UnicodeDecodeError) as exc:
        raise TrajectoryError(
            'a trajectory is JSON {"points": [[x, y, t, pressure, pen_down], ...]}'
        ) from exc
    return checked(points.reshape(0, len(COLUMNS)) if points.size == 0 else points)


def _numbers(text: str, skip: int, path: Path) -> NDArray[np.float64]:
    try:
        rows = [
            [float(v) for v in line.split()] for line in text.splitlines()[skip:] if line.strip()
        ]
        return np.asarray(rows, dtype=np.float64)
    except ValueError as exc:
        raise TrajectoryError(f"{path.name}: a line holds something other than numbers") from exc


def read_svc2004(path: Path) -> Trajectory:
    """SVC2004 (Task 2): a count line, then ``x y t button azimuth altitude pressure``."""
    rows = _numbers(path.read_text(encoding="ascii"), 1, path)
    if rows.ndim != 2 or rows.shape[1] != 7:
        raise TrajectoryError(f"{path.name}: SVC2004 lines hold 7 numbers")
    x, y, t, button, pressure = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3], rows[:, 6]
    return checked(np.stack([x, y, t, pressure, (button > 0).astype(np.float64)], axis=1))


def read_susig(path: Path) -> Trajectory:
    """SUSig: two header lines, then ``x y t pressure end_of_stroke``; the pen touches
    while its pressure is above zero."""
    rows = _numbers(path.read_text(encoding="ascii", errors="replace"), 2, path)
    if rows.ndim != 2 or rows.shape[1] != 5:
        raise TrajectoryError(f"{path.name}: SUSig lines hold 5 numbers")
    x, y, t, pressure = rows[:, 0], rows[:, 1], rows[:, 2], rows[:, 3]
    return checked(np.stack([x, y, t, pressure, (pressure > 0).astype(np.float64)], axis=1))
