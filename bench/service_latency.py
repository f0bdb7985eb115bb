"""Verify and identify over HTTP, next to the raw in-process encoder, in one run.

Starts the service (uvicorn, SQLite, the shipped signature model, default settings apart
from the port), enrols 100 subjects with 2 scans each, then sends verify (probe vs a
subject's references) and identify (1:N, top 5) requests at concurrency 1, 16 and 64 and
prints p50/p99 latency and requests/s.

The raw figure is the same model in this process with the same batching: ``c`` threads
each prepare a probe in a pool as wide as the service's (decode, find the ink, crop) and
embed it through a micro-batcher with the service's settings, images/s. The ratio says
what HTTP, multipart, SQL, search and audit cost on top of the model; at c=1 the
difference of the medians is the per-request overhead.

    python -m bench.service_latency [--requests 200] [--port 8765]
"""

import argparse
import asyncio
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import torch

from app.core.config import Settings
from bench.service_fixture import percentile, running_service, scan
from models.bundled import SIGNATURE_CHECKPOINT
from models.hardware import select_device
from models.serving import InputLimits, ServedModel, load_served_model
from models.serving.batcher import MicroBatcher

SUBJECTS = 100
CONCURRENCY = (1, 16, 64)


def raw_rate(
    model: ServedModel, probes: list[bytes], concurrency: int, requests: int
) -> tuple[list[float], float]:
    """Latencies and images/s of prepare (pool) + embed (batcher), ``concurrency`` callers."""
    settings = Settings()
    limits = InputLimits(
        settings.max_upload_bytes, settings.max_image_pixels, settings.min_image_side
    )
    pool = ThreadPoolExecutor(settings.inference_threads)
    batcher = MicroBatcher(model.embed, settings.batch_max_size, settings.batch_max_wait_ms)
    latencies: list[float] = []

    def one(n: int) -> None:
        started = time.perf_counter()
        prepared = pool.submit(model.prepare, probes[n % len(probes)], limits).result()
        batcher.embed(prepared.tensor[None])
        latencies.append(time.perf_counter() - started)

    for n in range(5):
        one(n)
    latencies.clear()
    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as callers:
        list(callers.map(one, range(requests)))
    rate = requests / (time.perf_counter() - started)
    batcher.close()
    pool.shutdown()
    return latencies, rate


async def enrol(client: httpx.AsyncClient, key: dict[str, str]) -> None:
    for n in range(SUBJECTS):
        response = await client.post(
            "/v1/enroll",
            data={"modality": "signature", "external_id": f"writer-{n}", "create": "true"},
            files=[("images", (f"{i}.png", scan(1000 * n + i), "image/png")) for i in range(2)],
            headers=key,
        )
        response.raise_for_status()


async def load(
    client: httpx.AsyncClient,
    key: dict[str, str],
    path: str,
    probes: list[bytes],
    requests: int,
    concurrency: int,
) -> tuple[list[float], float]:
    latencies: list[float] = []
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(requests):
        queue.put_nowait(n)

    async def worker() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            data = {"modality": "signature"}
            if path == "/v1/verify":
                data["external_id"] = f"writer-{n % SUBJECTS}"
            else:
                data["top_k"] = "5"
            started = time.perf_counter()
            response = await client.post(
                path,
                data=data,
                files=[("image", ("p.png", probes[n % len(probes)], "image/png"))],
                headers=key,
            )
            response.raise_for_status()
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, requests / (time.perf_counter() - started)


def line(label: str, latencies: list[float], rate: float, unit: str) -> str:
    return (
        f"{label:22s} p50 {1000 * percentile(latencies, 50):7.1f} ms"
        f"  p99 {1000 * percentile(latencies, 99):7.1f} ms  {rate:6.1f} {unit}"
    )


async def measure_http(
    url: str, key: dict[str, str], probes: list[bytes], requests: int
) -> dict[tuple[str, int], tuple[list[float], float]]:
    results = {}
    limits = httpx.Limits(max_connections=max(CONCURRENCY) + 8)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=limits) as client:
        await enrol(client, key)
        await load(client, key, "/v1/identify", probes, 10, 1)  # warm-up
        for path in ("/v1/verify", "/v1/identify"):
            for concurrency in CONCURRENCY:
                results[path, concurrency] = await load(
                    client, key, path, probes, requests, concurrency
                )
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="per endpoint and concurrency")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    probes = [scan(10_000_000 + i) for i in range(50)]
    model = load_served_model(SIGNATURE_CHECKPOINT, select_device("auto"))
    raw = {c: raw_rate(model, probes, c, args.requests) for c in CONCURRENCY}
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = SIGNATURE_CHECKPOINT
        with running_service(Path(tmp) / "data", checkpoint, args.port) as (url, key):
            http = asyncio.run(measure_http(url, key, probes, args.requests))
    print(
        f"model {model.identity} on {model.device} ({model.compute_path.name}), "
        f"CPU {torch.backends.cpu.get_cpu_capability()}, torch threads "
        f"{torch.get_num_threads()}"
    )
    for concurrency in CONCURRENCY:
        latencies, rate = raw[concurrency]
        print(line(f"raw encoder c={concurrency}", latencies, rate, "images/s"))
    for (path, concurrency), (latencies, rate) in http.items():
        raw_rate_c = raw[concurrency][1]
        print(
            line(f"{path} c={concurrency}", latencies, rate, "req/s")
            + f"  = {rate / raw_rate_c:.2f} x raw"
        )
    for path in ("/v1/verify", "/v1/identify"):
        overhead = percentile(http[path, 1][0], 50) - percentile(raw[1][0], 50)
        print(f"{path} batch-1 overhead over raw at c=1 (p50): {1000 * overhead:.1f} ms")


if __name__ == "__main__":
    main()
