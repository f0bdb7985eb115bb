"""Verify and identify over HTTP, next to the raw in-process encoder, in one run.

Starts the service (uvicorn, SQLite, the shipped signature model, default settings apart
from the port), enrols 100 subjects with 2 scans each, then sends verify (probe vs a
subject's references) and identify (1:N, top 5) requests at concurrency 1, 16 and 64 and
prints p50/p99 latency and requests/s.

The raw figure is the same model in this process with the same batching: ``c`` threads
each prepare a probe in a pool as wide as the service's (decode, find the ink, crop) and
embed it through a micro-batcher with the service's settings, images/s. The ratio says
what HTTP, multipart, SQL, search and audit cost on top of the model; at c=1 the
difference of the medians is the per-request overhead. The load comes from
``bench/lean_http.py`` (requests encoded before the clock starts, a keep-alive connection
per caller), so on a small machine the client takes next to nothing from the service's
cores; the CPU each request cost the service's process is printed next to the CPU each
raw image cost this one.

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
from app.services.runtime import image_limits
from bench.lean_http import Connection, Upload, multipart_post
from bench.service_fixture import RunningService, percentile, running_service, scan
from models.bundled import SIGNATURE_CHECKPOINT
from models.hardware import select_device
from models.serving import ServedModel, load_served_model
from models.serving.batcher import MicroBatcher

SUBJECTS = 100
CONCURRENCY = (1, 16, 64)


def raw_rate(
    model: ServedModel, probes: list[bytes], concurrency: int, requests: int
) -> tuple[list[float], float, float]:
    """Latencies, images/s and CPU ms per image of prepare (pool) + embed (batcher),
    ``concurrency`` callers."""
    settings = Settings()
    limits = image_limits(settings)
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
    started, cpu = time.perf_counter(), time.process_time()
    with ThreadPoolExecutor(concurrency) as callers:
        list(callers.map(one, range(requests)))
    rate = requests / (time.perf_counter() - started)
    cpu_ms = 1000 * (time.process_time() - cpu) / requests
    batcher.close()
    pool.shutdown()
    return latencies, rate, cpu_ms


async def enrol(client: httpx.AsyncClient, key: dict[str, str]) -> None:
    for n in range(SUBJECTS):
        response = await client.post(
            "/v1/enroll",
            data={"modality": "signature", "external_id": f"writer-{n}", "create": "true"},
            files=[("images", (f"{i}.png", scan(1000 * n + i), "image/png")) for i in range(2)],
            headers=key,
        )
        response.raise_for_status()


def requests_for(path: str, key: dict[str, str], probes: list[bytes], count: int) -> list[bytes]:
    """``count`` requests to ``path``, encoded before the clock starts."""
    encoded = []
    for n in range(count):
        fields = {"modality": "signature"}
        if path == "/v1/verify":
            fields["external_id"] = f"writer-{n % SUBJECTS}"
        else:
            fields["top_k"] = "5"
        upload = Upload("image", "p.png", probes[n % len(probes)])
        encoded.append(multipart_post(path, fields, [upload], key))
    return encoded


async def load(port: int, requests: list[bytes], concurrency: int) -> tuple[list[float], float]:
    """Latencies and requests/s, ``concurrency`` callers on a keep-alive connection each."""
    latencies: list[float] = []
    queue: asyncio.Queue[bytes] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    connections = [await Connection.open("127.0.0.1", port) for _ in range(concurrency)]

    async def caller(connection: Connection) -> None:
        while not queue.empty():
            request = queue.get_nowait()
            started = time.perf_counter()
            status, body = await connection.send(request)
            if status != 200:
                raise RuntimeError(f"{status}: {body[:300]!r}")
            latencies.append(time.perf_counter() - started)

    started = time.perf_counter()
    await asyncio.gather(*(caller(connection) for connection in connections))
    rate = len(requests) / (time.perf_counter() - started)
    for connection in connections:
        await connection.close()
    return latencies, rate


def line(label: str, latencies: list[float], rate: float, unit: str, cpu_ms: float) -> str:
    return (
        f"{label:22s} p50 {1000 * percentile(latencies, 50):7.1f} ms"
        f"  p99 {1000 * percentile(latencies, 99):7.1f} ms  {rate:6.1f} {unit}"
        f"  CPU {cpu_ms:5.1f} ms each"
    )


async def measure_http(
    service: RunningService, probes: list[bytes], requests: int
) -> dict[tuple[str, int], tuple[list[float], float, float]]:
    """Per path and concurrency: latencies, requests/s, service CPU ms per request."""
    results = {}
    async with httpx.AsyncClient(base_url=service.url, timeout=300) as client:
        await enrol(client, service.key)
    await load(service.port, requests_for("/v1/identify", service.key, probes, 10), 1)  # warm-up
    for path in ("/v1/verify", "/v1/identify"):
        encoded = requests_for(path, service.key, probes, requests)
        for concurrency in CONCURRENCY:
            cpu = service.cpu_seconds()
            latencies, rate = await load(service.port, encoded, concurrency)
            cpu_ms = 1000 * (service.cpu_seconds() - cpu) / requests
            results[path, concurrency] = (latencies, rate, cpu_ms)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="per endpoint and concurrency")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    probes = [scan(10_000_000 + i) for i in range(50)]
    model = load_served_model(SIGNATURE_CHECKPOINT, select_device("auto"))
    raw = {c: raw_rate(model, probes, c, args.requests) for c in CONCURRENCY}
    with (
        tempfile.TemporaryDirectory() as tmp,
        running_service(Path(tmp) / "data", SIGNATURE_CHECKPOINT, args.port) as service,
    ):
        http = asyncio.run(measure_http(service, probes, args.requests))
    print(
        f"model {model.identity} on {model.device} ({model.compute_path.name}), "
        f"CPU {torch.backends.cpu.get_cpu_capability()}, torch threads "
        f"{torch.get_num_threads()}"
    )
    for concurrency in CONCURRENCY:
        latencies, rate, cpu_ms = raw[concurrency]
        print(line(f"raw encoder c={concurrency}", latencies, rate, "images/s", cpu_ms))
    for (path, concurrency), (latencies, rate, cpu_ms) in http.items():
        raw_rate_c = raw[concurrency][1]
        print(
            line(f"{path} c={concurrency}", latencies, rate, "req/s", cpu_ms)
            + f"  = {rate / raw_rate_c:.2f} x raw"
        )
    for path in ("/v1/verify", "/v1/identify"):
        overhead = percentile(http[path, 1][0], 50) - percentile(raw[1][0], 50)
        print(f"{path} batch-1 overhead over raw at c=1 (p50): {1000 * overhead:.1f} ms")


if __name__ == "__main__":
    main()
