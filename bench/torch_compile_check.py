"""Does ``torch.compile`` pay for the served models? Eager against compiled, same process.

For the shipped signature model and the default face model (the dlib + SFace fusion), on
this machine's CPU with the service's compute path: the forward pass at batch 1 and 8
(ms), the compile time before the first answer, the stall when a batch size not seen yet
arrives (the micro-batcher makes every size from 1 to ``batch_max_size``), and the largest
difference between the two paths' embeddings.

    python -m bench.torch_compile_check [--face-checkpoint PATH]
"""

import argparse
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import torch

from models.bundled import SIGNATURE_CHECKPOINT
from models.face_fusion_checkpoint import ensure_fusion_checkpoint
from models.hardware import select_device
from models.serving import ServedModel, load_served_model

Forward = Callable[[torch.Tensor], torch.Tensor]


def batch(model: ServedModel, size: int) -> torch.Tensor:
    spec = model.metadata.preprocessing
    channels = model.metadata.encoder.in_channels
    generator = torch.Generator().manual_seed(size)
    images = torch.rand(size, channels, spec.height, spec.width, generator=generator) * 255
    return images.contiguous(memory_format=torch.channels_last)


def ms_per_call(forward: Forward, inputs: torch.Tensor, calls: int = 20) -> float:
    for _ in range(3):
        forward(inputs)
    started = time.perf_counter()
    for _ in range(calls):
        forward(inputs)
    return 1000 * (time.perf_counter() - started) / calls


def check(label: str, model: ServedModel) -> None:
    network = model.network

    def eager(inputs: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            return network.embed(inputs)

    compiled_embed = torch.compile(network.embed, dynamic=True)

    def compiled(inputs: torch.Tensor) -> torch.Tensor:
        with torch.inference_mode():
            return compiled_embed(inputs)

    one, eight, three = batch(model, 1), batch(model, 8), batch(model, 3)
    started = time.perf_counter()
    compiled(one)
    compiled(eight)
    compile_s = time.perf_counter() - started
    started = time.perf_counter()
    compiled(three)
    stall_s = time.perf_counter() - started
    difference = float((compiled(eight) - eager(eight)).abs().max())
    print(
        f"{label}: eager b1 {ms_per_call(eager, one):.2f} ms, b8 {ms_per_call(eager, eight):.1f}"
        f" ms; compiled b1 {ms_per_call(compiled, one):.2f} ms, b8 "
        f"{ms_per_call(compiled, eight):.1f} ms; compile {compile_s:.1f} s, a new batch size "
        f"{stall_s:.1f} s; largest difference {difference:.1e}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--face-checkpoint", type=Path, default=None)
    args = parser.parse_args()
    device = select_device("auto")
    print(f"CPU {torch.backends.cpu.get_cpu_capability()}, torch {torch.__version__}")
    check("signature", load_served_model(SIGNATURE_CHECKPOINT, device))
    with tempfile.TemporaryDirectory() as tmp:
        face = args.face_checkpoint or ensure_fusion_checkpoint(Path(tmp) / "face.safetensors")
        check("face", load_served_model(face, device))


if __name__ == "__main__":
    main()
