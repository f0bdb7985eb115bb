"""The DTW baseline for online signatures, writer-independent: EER against skilled and
random forgeries with 5 references and one global threshold, on SVC2004 Task 2 and SUSig.

Nothing is trained, so every writer is one the method never saw; the learned sequence
twin is measured against these figures on the same trials.

    python -m bench.online_dtw_baseline [--datasets ../shared/datasets] [--references 5]
"""

import argparse
import time
from pathlib import Path

import numpy as np

from models.evaluation.metrics import equal_error_rate
from models.online.dtw import dtw_score, reference_spread
from models.online.features import trajectory_features
from models.online.protocol import OnlineSet, susig, svc2004


def evaluate(online: OnlineSet) -> None:
    started, genuine, skilled, random = time.perf_counter(), [], [], []
    features = {
        id(t): trajectory_features(t)
        for w in online.writers
        for t in (*w.references, *w.genuine, *w.skilled)
    }
    for writer in online.writers:
        references = [features[id(t)] for t in writer.references]
        spread = reference_spread(references)
        genuine += [dtw_score(features[id(t)], references, spread) for t in writer.genuine]
        skilled += [dtw_score(features[id(t)], references, spread) for t in writer.skilled]
        others = [w.genuine[0] for w in online.writers if w is not writer and w.genuine]
        random += [dtw_score(features[id(t)], references, spread) for t in others]
    labels = lambda n, m: np.r_[np.ones(n), np.zeros(m)]  # noqa: E731
    vs_skilled = equal_error_rate(np.r_[genuine, skilled], labels(len(genuine), len(skilled)))
    vs_random = equal_error_rate(np.r_[genuine, random], labels(len(genuine), len(random)))
    print(
        f"{online.name}: {len(online.writers)} writers, {len(genuine)} genuine, "
        f"{len(skilled)} skilled, {len(random)} random trials ({len(online.skipped)} files "
        f"refused: {', '.join(online.skipped) or 'none'})\n"
        f"  EER vs skilled {100 * vs_skilled.rate:.2f} %, vs random {100 * vs_random.rate:.2f} %"
        f"  ({time.perf_counter() - started:.0f} s)"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--references", type=int, default=5)
    args = parser.parse_args()
    online = args.datasets / "online"
    evaluate(svc2004(online / "svc2004", args.references))
    evaluate(susig(online / "susig", args.references))


if __name__ == "__main__":
    main()
