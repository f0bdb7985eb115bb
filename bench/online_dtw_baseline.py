"""The DTW baseline for online signatures, writer-independent: EER against skilled and
random forgeries with 5 references and one global threshold, on SVC2004 Task 2 and SUSig.

Nothing is trained, so every writer is one the method never saw; the learned sequence
twin is measured against these figures on the same trials.

    python -m bench.online_dtw_baseline [--datasets ../shared/datasets] [--references 5]
"""

import argparse
import time
from collections.abc import Callable
from pathlib import Path

from models.online.dtw import dtw_score, reference_spread
from models.online.features import trajectory_features
from models.online.protocol import OnlineSet, Writer, susig, svc2004, trial_eers
from models.online.trajectory import Trajectory


def evaluate(online: OnlineSet) -> None:
    started = time.perf_counter()
    features = {
        id(t): trajectory_features(t)
        for w in online.writers
        for t in (*w.references, *w.genuine, *w.skilled)
    }

    def scorer(writer: Writer) -> Callable[[Trajectory], float]:
        references = [features[id(t)] for t in writer.references]
        spread = reference_spread(references)
        return lambda t: dtw_score(features[id(t)], references, spread)

    eers = trial_eers(online, scorer)
    print(
        f"{online.name}: {len(online.writers)} writers, {eers.genuine} genuine, "
        f"{eers.skilled} skilled, {eers.random} random trials ({len(online.skipped)} files "
        f"refused: {', '.join(online.skipped) or 'none'})\n"
        f"  EER vs skilled {100 * eers.vs_skilled:.2f} %, vs random {100 * eers.vs_random:.2f} %"
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
