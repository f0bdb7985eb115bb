"""Training throughput of the twin encoders on this machine, in pairs per second.

Times real optimisation steps (contrastive loss on balanced pairs, AdamW, batch-norm in
training mode) on synthetic inputs of each modality's shape, after warm-up steps.

    python bench/train_throughput.py [--batch-pairs 32] [--steps 10] [--device cpu]
"""

import argparse
import time

import torch

from models.checkpoint import build_model
from models.losses import LossSpec, build_objective
from models.networks import EncoderSpec
from models.preprocessing import PreprocessSpec, build_preprocessor
from models.twin import ComparisonSpec

CASES = {
    "signature_cnn 1x150x220": (
        EncoderSpec(name="signature_cnn", embedding_size=128, in_channels=1, width=16),
        PreprocessSpec(name="signature", height=150, width=220),
    ),
    "resnet18 face 3x112x112": (
        EncoderSpec(name="resnet", depth=18, embedding_size=128, in_channels=3),
        PreprocessSpec(name="face", height=112, width=112),
    ),
}


def measure(
    encoder: EncoderSpec, spec: PreprocessSpec, batch_pairs: int, steps: int, device: torch.device
) -> tuple[float, float]:
    """Returns ``(training pairs/s, inference images/s)``."""
    torch.manual_seed(0)
    model = build_model(encoder, ComparisonSpec(name="euclidean"), for_training=True).to(device)
    objective = build_objective(
        LossSpec(name="contrastive", margin=1.0), "euclidean", encoder.embedding_size, 2
    )
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    preprocessor = build_preprocessor(spec)
    shape = (batch_pairs, spec.channels, spec.height, spec.width)
    first = torch.randint(0, 256, shape, dtype=torch.uint8)
    second = torch.randint(0, 256, shape, dtype=torch.uint8)
    labels = (torch.arange(batch_pairs) % 2).float().to(device)

    def step() -> None:
        loss = objective.pair_loss(
            model,
            preprocessor.to_input(first).to(device),
            preprocessor.to_input(second).to(device),
            labels,
        )
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    model.train()
    for _ in range(2):
        step()
    _sync(device)
    started = time.perf_counter()
    for _ in range(steps):
        step()
    _sync(device)
    train_rate = steps * batch_pairs / (time.perf_counter() - started)

    model.eval()
    images = preprocessor.to_input(torch.cat([first, second])).to(device)
    with torch.inference_mode():
        model.embed(images)
        _sync(device)
        started = time.perf_counter()
        for _ in range(max(1, steps // 2)):
            model.embed(images)
        _sync(device)
    embed_rate = max(1, steps // 2) * images.shape[0] / (time.perf_counter() - started)
    return train_rate, embed_rate


def _sync(device: torch.device) -> None:
    if device.type == "cuda":
        torch.cuda.synchronize()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batch-pairs", type=int, default=32)
    parser.add_argument("--steps", type=int, default=10)
    parser.add_argument("--device", default="cuda" if torch.cuda.is_available() else "cpu")
    args = parser.parse_args()
    device = torch.device(args.device)
    print(
        f"device {device}, torch {torch.__version__}, {torch.get_num_threads()} threads, "
        f"{args.batch_pairs} pairs per step, {args.steps} timed steps"
    )
    for name, (encoder, spec) in CASES.items():
        train_rate, embed_rate = measure(encoder, spec, args.batch_pairs, args.steps, device)
        print(
            f"{name:26s} training {train_rate:8.1f} pairs/s   inference {embed_rate:8.1f} images/s"
        )


if __name__ == "__main__":
    main()
