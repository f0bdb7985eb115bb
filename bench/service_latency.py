"""Verify and identify over HTTP, next to the raw encoder, on this machine.

Starts the service (uvicorn, SQLite, the signature architecture at 1x150x220), enrols
100 subjects with 2 scans each, then sends verify (probe vs a subject's references) and
identify (1:N, top 5) requests at concurrency 1 and 16, and prints p50/p99 latency and
requests/s. The raw figure is the same model in this process: decode, preprocess and embed
one image at a time, images/s. The ratio says what HTTP, multipart, SQL, search and audit
cost on top of the model.

    python -m bench.service_latency [--requests 200] [--port 8765]
"""

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import httpx
import torch

from bench.service_fixture import percentile, running_service, scan, signature_checkpoint
from models.checkpoint import load_checkpoint
from models.embedding import embed_images
from models.preprocessing import build_preprocessor, decode_image
from models.training.loop_parts import select_device

SUBJECTS = 100


def raw_encoder_rate(checkpoint: Path, probes: list[bytes], seconds: float = 10.0) -> float:
    """Images/s of decode + preprocess + embed, one image per call, in this process."""
    device = select_device("auto")
    loaded = load_checkpoint(checkpoint, device)
    preprocessor = build_preprocessor(loaded.metadata.preprocessing)

    def one(data: bytes) -> None:
        image = preprocessor.prepare(decode_image(data))[None]
        embed_images(loaded.model, preprocessor, image, device)

    for data in probes[:5]:
        one(data)
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        one(probes[done % len(probes)])
        done += 1
    return done / (time.perf_counter() - start)


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
            data = {"modality": "signature", "threshold": "-1000"}
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


async def measure(url: str, key: dict[str, str], probes: list[bytes], requests: int) -> list[str]:
    lines = []
    limits = httpx.Limits(max_connections=32)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        await enrol(client, key)
        await load(client, key, "/v1/identify", probes, 10, 1)  # warm-up
        for path in ("/v1/verify", "/v1/identify"):
            for concurrency in (1, 16):
                latencies, rate = await load(client, key, path, probes, requests, concurrency)
                lines.append(
                    f"{path:13s} c={concurrency:<3d} p50 {1000 * percentile(latencies, 50):7.1f} ms"
                    f"  p99 {1000 * percentile(latencies, 99):7.1f} ms  {rate:6.1f} req/s"
                )
    return lines


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--requests", type=int, default=200, help="per endpoint and concurrency")
    parser.add_argument("--port", type=int, default=8765)
    args = parser.parse_args()
    probes = [scan(10_000_000 + i) for i in range(50)]
    with tempfile.TemporaryDirectory() as tmp:
        checkpoint = signature_checkpoint(Path(tmp) / "signature.safetensors")
        raw = raw_encoder_rate(checkpoint, probes)
        with running_service(Path(tmp) / "data", checkpoint, args.port) as (url, key):
            lines = asyncio.run(measure(url, key, probes, args.requests))
    print(f"device: {select_device('auto')}, torch threads: {torch.get_num_threads()}")
    print(f"raw encoder (decode + preprocess + embed, 1 image/call): {raw:6.1f} images/s")
    for line in lines:
        rate = float(line.rsplit("ms", 1)[1].split("req/s")[0])
        print(f"{line}  = {rate / raw:.2f} x raw")


if __name__ == "__main__":
    main()
