"""ROC, DET and score-histogram figures as PNG files (matplotlib, no display needed)."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")  # headless: servers and CI have no display
import matplotlib.pyplot as plt
import numpy as np
from numpy.typing import ArrayLike
from scipy.stats import norm

from models.evaluation.metrics import roc

_DET_TICKS = [0.001, 0.01, 0.05, 0.1, 0.2, 0.4]


def save_plots(
    scores: ArrayLike, labels: ArrayLike, kinds: ArrayLike, directory: Path, title: str
) -> list[Path]:
    """Write ``roc.png``, ``det.png`` and ``scores.png`` into ``directory``; returns their paths."""
    directory.mkdir(parents=True, exist_ok=True)
    s = np.asarray(scores, dtype=np.float64)
    y = np.asarray(labels).astype(int)
    curve = roc(s, y)
    paths = [directory / "roc.png", directory / "det.png", directory / "scores.png"]

    figure, axis = plt.subplots(figsize=(5, 4))
    axis.semilogx(np.clip(curve.far, 1e-5, 1), curve.tar)
    axis.set(
        xlabel="false accept rate",
        ylabel="true accept rate",
        title=f"ROC - {title}",
        xlim=(1e-4, 1),
        ylim=(0, 1.01),
    )
    axis.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    figure.savefig(paths[0], dpi=120)
    plt.close(figure)

    # DET: both error rates on normal-deviate (probit) axes, so Gaussian scores give lines.
    low, high = 1e-4, 0.5
    frr = 1 - curve.tar
    figure, axis = plt.subplots(figsize=(5, 4))
    # Points off the chart are dropped, not clipped (clipping draws false edges); error
    # rates of exactly 0 sit on the chart's edge.
    visible = (curve.far <= high) & (frr <= high)
    axis.plot(
        norm.ppf(np.clip(curve.far[visible], low, high)), norm.ppf(np.clip(frr[visible], low, high))
    )
    ticks = norm.ppf(_DET_TICKS)
    labels_text = [f"{100 * t:g}" for t in _DET_TICKS]
    axis.set_xticks(ticks, labels_text)
    axis.set_yticks(ticks, labels_text)
    axis.set(xlabel="false accept rate (%)", ylabel="false reject rate (%)", title=f"DET - {title}")
    axis.set_xlim(norm.ppf(low), norm.ppf(high))
    axis.set_ylim(norm.ppf(low), norm.ppf(high))
    axis.grid(True, alpha=0.3)
    figure.tight_layout()
    figure.savefig(paths[1], dpi=120)
    plt.close(figure)

    k = np.asarray(kinds).astype(str)
    figure, axis = plt.subplots(figsize=(5, 4))
    bins = np.linspace(s.min(), s.max(), 60).tolist()
    axis.hist(s[y == 1], bins=bins, alpha=0.6, label="same / genuine", density=True)
    for kind in sorted(set(k[y == 0])):
        axis.hist(
            s[(y == 0) & (k == kind)],
            bins=bins,
            alpha=0.5,
            label=f"different: {kind}",
            density=True,
        )
    axis.set(xlabel="score (higher = more alike)", ylabel="density", title=f"Scores - {title}")
    axis.legend(fontsize="small")
    figure.tight_layout()
    figure.savefig(paths[2], dpi=120)
    plt.close(figure)
    return paths
