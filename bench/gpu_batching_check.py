"""On a GPU: what micro-batching buys. Requests/s of 64 concurrent callers through the
batcher against sequential batch-1 passes, same model, same GPU, same prepared inputs.

Inputs are prepared once beforehand (CPU work the GPU does not speed up); each caller then
asks for one embedding at a time, as a request does. Also checks that batched rows equal
batch-1 rows (fp32, 1e-4 on a GPU). A few minutes at most; exits 2 without a GPU.

    python -m bench.gpu_batching_check [--requests 2000] [--max-batch 64]
"""

import argparse
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import torch

from bench.service_fixture import scan
from models.bundled import SIGNATURE_CHECKPOINT
from models.serving import InputLimits, load_served_model
from models.serving.batcher import MicroBatcher


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--max-batch", type=int, default=64)
    parser.add_argument("--max-wait-ms", type=float, default=1.0)
    args = parser.parse_args()
    if not torch.cuda.is_available():
        print("no GPU: nothing to measure")
        return 2
    model = load_served_model(SIGNATURE_CHECKPOINT, torch.device("cuda"))
    limits = InputLimits(1 << 26, 50_000_000, 16)
    inputs = [model.prepare(scan(n), limits).tensor[None] for n in range(256)]
    for one in inputs[:16]:
        model.embed(one)  # warm-up (cuDNN autotuning, allocator)
    started = time.perf_counter()
    alone = [model.embed(inputs[n % len(inputs)]) for n in range(args.requests)]
    sequential = args.requests / (time.perf_counter() - started)
    batcher = MicroBatcher(model.embed, args.max_batch, args.max_wait_ms)
    started = time.perf_counter()
    with ThreadPoolExecutor(64) as callers:
        together = list(
            callers.map(lambda n: batcher.embed(inputs[n % len(inputs)]), range(args.requests))
        )
    concurrent = args.requests / (time.perf_counter() - started)
    batcher.close()
    worst = max(float((a - b).abs().max()) for a, b in zip(alone, together, strict=True))
    print(f"{torch.cuda.get_device_name()}, model {model.identity} ({model.compute_path.name})")
    print(f"sequential batch-1:        {sequential:8.1f} requests/s")
    print(
        f"64 callers, micro-batched: {concurrent:8.1f} requests/s = {concurrent / sequential:.1f}x"
        f" (mean batch {batcher.stats.images / batcher.stats.batches:.1f}, "
        f"largest {batcher.stats.largest})"
    )
    print(f"largest difference batched vs batch-1: {worst:.2e}")
    return 0 if worst < 1e-4 else 1


if __name__ == "__main__":
    sys.exit(main())
