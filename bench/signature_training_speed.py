"""Signature encoder training speed on this CPU: images/s per width, memory format and
precision, for the step the signature recipe runs (triplet loss, semi-hard mining, AdamW).

    python -m bench.signature_training_speed [--widths 16 24 32] [--steps 8] [--bf16]

bf16 is measured only where ``training.cpu_precision = "auto"`` would choose it (AMX), or
with ``--bf16``: on AVX2-only CPUs one bf16 step takes minutes.
"""

import argparse
import time
from typing import Literal

import torch

from models.checkpoint import build_model
from models.hardware import cpu_has_bf16_matrix_units
from models.losses import LossSpec, build_objective
from models.networks import EncoderSpec
from models.preprocessing import PreprocessSpec, build_preprocessor
from models.training.config import TrainingConfig
from models.training.precision import select_precision
from models.twin import ComparisonSpec

SPEC = PreprocessSpec(name="signature", height=150, width=220)
BATCH, IDENTITIES = 48, 8


def images_per_second(
    width: int, channels_last: bool, precision: Literal["fp32", "bf16"], steps: int
) -> float:
    torch.manual_seed(0)
    encoder = EncoderSpec(name="signature_cnn", embedding_size=128, in_channels=1, width=width)
    model = build_model(encoder, ComparisonSpec(name="euclidean"), for_training=True)
    objective = build_objective(
        LossSpec(name="triplet", margin=0.2, mining="semihard"), "euclidean", 128, IDENTITIES
    )
    chosen = select_precision(TrainingConfig(cpu_precision=precision), torch.device("cpu"))
    memory_format = torch.channels_last if channels_last else torch.contiguous_format
    model.to(memory_format=memory_format).train()
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-3)
    preprocessor = build_preprocessor(SPEC)
    images = torch.randint(0, 256, (BATCH, 1, SPEC.height, SPEC.width), dtype=torch.uint8)
    batch = preprocessor.to_input(images).to(memory_format=memory_format)
    labels = torch.arange(BATCH) % IDENTITIES

    def step() -> None:
        with chosen.autocast:
            loss = objective.label_loss(model, batch, labels)
        optimizer.zero_grad(set_to_none=True)
        torch.autograd.backward(loss)
        optimizer.step()

    step()
    started = time.perf_counter()
    for _ in range(steps):
        step()
    return steps * BATCH / (time.perf_counter() - started)


def parameters(width: int) -> float:
    spec = EncoderSpec(name="signature_cnn", embedding_size=128, in_channels=1, width=width)
    model = build_model(spec, ComparisonSpec(name="euclidean"))
    return sum(p.numel() for p in model.parameters()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--widths", type=int, nargs="+", default=[16, 24, 32])
    parser.add_argument("--steps", type=int, default=8)
    parser.add_argument("--bf16", action="store_true", help="measure bf16 even without AMX")
    args = parser.parse_args()
    amx = cpu_has_bf16_matrix_units()
    print(
        f"CPU capability {torch.backends.cpu.get_cpu_capability()}, AMX {amx}, "
        f"{torch.get_num_threads()} threads, torch {torch.__version__}; batch {BATCH} at "
        f"{SPEC.height}x{SPEC.width}"
    )
    precisions: list[Literal["fp32", "bf16"]] = ["fp32", "bf16"] if amx or args.bf16 else ["fp32"]
    for width in args.widths:
        for precision in precisions:
            for channels_last in (False, True):
                rate = images_per_second(width, channels_last, precision, args.steps)
                layout = "channels-last" if channels_last else "contiguous"
                print(
                    f"width {width:3d} ({parameters(width):.2f} M params)  {precision}  "
                    f"{layout:13s} {rate:7.1f} images/s"
                )


if __name__ == "__main__":
    main()
