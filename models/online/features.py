"""From a trajectory to the sequence a comparator reads: one module, one recipe.

Pen-up points are dropped (pads sample them unevenly, some not at all); the rest is
translated to its centroid and scaled by its height's spread, so where and how large one
signs on the pad does not matter. Per point: position, velocity (first differences in
time), direction of travel (sine, cosine), curvature (change of direction) and pressure;
each feature is then standardised over the signature, as DTW-based verifiers do, so no
unit dominates the distance.
"""

import numpy as np
from numpy.typing import NDArray

from models.online.trajectory import Trajectory

FEATURES = ("x", "y", "vx", "vy", "sin", "cos", "curvature", "pressure")
# Longer signatures keep every k-th point (k the smallest that fits): a pad sampling at
# 200 Hz and one at 100 Hz then give sequences of comparable length, and DTW's cost stays
# bounded.
MAX_LENGTH = 512
SPEED_UNIT_MS = 100.0


def trajectory_features(
    trajectory: Trajectory, max_length: int = MAX_LENGTH
) -> NDArray[np.float64]:
    """``(N, len(FEATURES))`` for the pen-down points (at most ``max_length``)."""
    down = trajectory.points[trajectory.pen_down]
    down = down[:: -(-len(down) // max_length)]
    x, y, t, pressure = down[:, 0], down[:, 1], down[:, 2], down[:, 3]
    scale = float(np.std(y)) or float(np.std(x)) or 1.0
    x, y = (x - x.mean()) / scale, (y - y.mean()) / scale
    # a clock that stalls (equal timestamps) gives no speed: one sample interval instead
    dt = np.maximum(np.gradient(t), 1e-3)
    vx, vy = np.gradient(x) / dt, np.gradient(y) / dt
    angle = np.arctan2(vy, vx)
    curvature = np.gradient(np.unwrap(angle))
    shape = np.stack([x, y, np.sin(angle), np.cos(angle), curvature, pressure], axis=1)
    spread = shape.std(axis=0)
    shape = (shape - shape.mean(axis=0)) / np.where(spread > 0, spread, 1.0)
    # Speed is not standardised: a forger copies the shape slowly, and dividing each
    # signature's speed by its own spread would erase exactly that. Heights per 100 ms.
    speed = np.stack([vx, vy], axis=1) * SPEED_UNIT_MS
    return np.concatenate([shape[:, :2], speed, shape[:, 2:]], axis=1)
