"""The DTW baseline: a questioned trajectory against a writer's references.

The distance of two signatures is multivariate dynamic time warping over their features
(``dtaidistance``'s C implementation, within a Sakoe-Chiba band), not divided by the
signatures' lengths: a forger copying the shape slowly writes many more points, and a
per-point distance would reward exactly that (on SVC2004 and SUSig, dividing by the summed
lengths raised the EER against skilled forgeries from 13.6 to 14.7 % and from 8.7 to
13.9 %). A questioned signature's score is its mean distance to the references, divided
by the references' own mean pairwise distance (how consistently this writer signs) and
negated: higher means more alike, one global threshold for every writer.
"""

from itertools import combinations

import numpy as np
from dtaidistance import dtw_ndim
from numpy.typing import NDArray

WINDOW_FRACTION = 0.2  # warping band: a fifth of the longer signature


def dtw_distance(a: NDArray[np.float64], b: NDArray[np.float64]) -> float:
    window = max(abs(len(a) - len(b)) + 1, int(WINDOW_FRACTION * max(len(a), len(b))))
    distance = dtw_ndim.distance_fast(
        np.ascontiguousarray(a, np.float64), np.ascontiguousarray(b, np.float64), window=window
    )
    return float(distance)


def reference_spread(references: list[NDArray[np.float64]]) -> float:
    """The references' mean pairwise distance (1.0 for a single reference)."""
    pairs = [dtw_distance(a, b) for a, b in combinations(references, 2)]
    return float(np.mean(pairs)) if pairs else 1.0


def dtw_score(
    questioned: NDArray[np.float64], references: list[NDArray[np.float64]], spread: float
) -> float:
    mean = float(np.mean([dtw_distance(questioned, ref) for ref in references]))
    return -mean / max(spread, 1e-9)
