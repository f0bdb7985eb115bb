"""The sequence twin for online signatures, trained on one set and measured on the other
(writers never seen), against the DTW baseline's trials: 5 references, one global
threshold, EER against skilled and random forgeries.

Training: a bidirectional GRU (``models/networks/sequence_gru.py``) on the training set's
writers, each writer's genuine signatures one class and their skilled forgeries another
(so forgeries are pushed away from the writer they imitate), triplet loss with batch-hard
mining (pytorch-metric-learning), m signatures per class in each batch; light
augmentation (rotation, scale, dropped points). Scoring: the probe's mean distance to the
references, divided by the references' mean pairwise distance, negated.

    python -m bench.online_sequence_twin --train susig --test svc2004 [--epochs 30]
"""

import argparse
import math
import time
from collections.abc import Callable
from itertools import combinations
from pathlib import Path

import numpy as np
import torch
from pytorch_metric_learning import losses, miners, samplers

from models.networks.sequence_gru import SequenceGRU, pad
from models.online.features import FEATURES, trajectory_features
from models.online.protocol import OnlineSet, Writer, susig, svc2004, trial_eers
from models.online.trajectory import Trajectory, checked

# A recurrent pass over 512 steps costs ~15x one over 256 on a CPU (measured: 39 s against
# 2.4 s for a training step of 64); the sequence twin reads at most this many points.
SEQUENCE_LENGTH = 192


def load(name: str, root: Path) -> OnlineSet:
    online = root / "online"
    return svc2004(online / "svc2004") if name == "svc2004" else susig(online / "susig")


def augmented(trajectory: Trajectory, rng: np.random.Generator) -> Trajectory:
    points = trajectory.points.copy()
    angle = math.radians(rng.uniform(-8, 8))
    rotation = np.array([[math.cos(angle), -math.sin(angle)], [math.sin(angle), math.cos(angle)]])
    points[:, :2] = points[:, :2] @ rotation.T * rng.uniform(0.9, 1.1)
    keep = rng.random(len(points)) > 0.1
    keep[0] = True
    try:
        return checked(points[keep])
    except ValueError:
        return trajectory


def training_items(online: OnlineSet) -> tuple[list[Trajectory], list[int]]:
    items, labels = [], []
    for n, writer in enumerate(online.writers):
        for t in (*writer.references, *writer.genuine):
            items.append(t)
            labels.append(2 * n)
        for t in writer.skilled:
            items.append(t)
            labels.append(2 * n + 1)
    return items, labels


def embed(model: SequenceGRU, trajectories: list[Trajectory]) -> np.ndarray:
    model.eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(trajectories), 64):
            chunk = trajectories[start : start + 64]
            batch, lengths = pad(
                [torch.from_numpy(trajectory_features(t, SEQUENCE_LENGTH)).float() for t in chunk]
            )
            out.append(model(batch, lengths).numpy())
    return np.concatenate(out)


def evaluate(model: SequenceGRU, online: OnlineSet) -> tuple[float, float]:
    vectors: dict[int, np.ndarray] = {}
    for writer in online.writers:
        signatures = [*writer.references, *writer.genuine, *writer.skilled]
        vectors |= zip(map(id, signatures), embed(model, signatures), strict=True)

    def scorer(writer: Writer) -> Callable[[Trajectory], float]:
        refs = np.stack([vectors[id(t)] for t in writer.references])
        spread = float(np.mean([np.linalg.norm(a - b) for a, b in combinations(refs, 2)]))
        return lambda t: -float(np.linalg.norm(refs - vectors[id(t)], axis=1).mean()) / spread

    eers = trial_eers(online, scorer)
    return eers.vs_skilled, eers.vs_random


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--datasets", type=Path, default=Path("../shared/datasets"))
    parser.add_argument("--train", choices=["svc2004", "susig"], default="susig")
    parser.add_argument("--test", choices=["svc2004", "susig"], default="svc2004")
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    rng = np.random.default_rng(args.seed)
    train, test = load(args.train, args.datasets), load(args.test, args.datasets)
    items, labels = training_items(train)
    model = SequenceGRU(len(FEATURES), hidden=64)
    optimiser = torch.optim.AdamW(model.parameters(), lr=2e-3, weight_decay=1e-4)
    loss = losses.TripletMarginLoss(margin=0.2)
    miner = miners.BatchHardMiner()
    sampler = samplers.MPerClassSampler(
        labels, m=4, batch_size=64, length_before_new_iter=len(items)
    )
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimiser, 2e-3, total_steps=args.epochs * math.ceil(len(items) / 64)
    )
    started = time.perf_counter()
    for epoch in range(args.epochs):
        model.train()
        order = list(sampler)
        total = 0.0
        for start in range(0, len(order) - 63, 64):
            batch_ids = order[start : start + 64]
            sequences = [
                torch.from_numpy(
                    trajectory_features(augmented(items[i], rng), SEQUENCE_LENGTH)
                ).float()
                for i in batch_ids
            ]
            batch, lengths = pad(sequences)
            target = torch.tensor([labels[i] for i in batch_ids])
            embeddings = model(batch, lengths)
            value = loss(embeddings, target, miner(embeddings, target))
            optimiser.zero_grad()
            value.backward()
            optimiser.step()
            schedule.step()
            total += float(value.detach())
        if epoch % 5 == 4 or epoch == args.epochs - 1:
            vs_skilled, vs_random = evaluate(model, test)
            print(
                f"epoch {epoch + 1}: loss {total:.2f}; {test.name} EER vs skilled "
                f"{100 * vs_skilled:.2f} %, vs random {100 * vs_random:.2f} % "
                f"({time.perf_counter() - started:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
