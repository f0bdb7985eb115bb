"""1:N search at 10k, 100k and 1M stored references, next to bare numpy and torch scans.

Synthetic 128-d embeddings (2 per subject) are written to an SQLite file in the
service's table, loaded by the service's own code (as at start-up), and searched with the
service's search: the revision check against SQL, the model's comparator over the
in-memory matrix, then the exact top-k over distinct subjects by the model's reference
scoring (``--scoring``: ``max``, the best reference, or ``mean_minus_spread``, the shipped
signature model's rule, whose first search also computes every subject's spread). The
bare scans are numpy and torch over the same matrix: Euclidean distances and the 5 nearest
rows, nothing else.
With --http the same gallery is then served by a real uvicorn process and identify is
timed end to end (the encoder included).

    python -m bench.identify_scale [--sizes 10000 100000 1000000] [--queries 30] [--http]
        [--scoring max|mean_minus_spread]
"""

import argparse
import asyncio
import tempfile
import time
import uuid
from pathlib import Path

import httpx
import numpy as np
import torch
from sqlalchemy import insert

from app.db import migrate
from app.db.engine import make_engine, session_factory, transaction
from app.db.models import Gallery, Reference, Subject
from app.db.vectors import encode_vector
from app.inference.registry import load_registry
from app.search.gallery_index import ModelKey, SearchIndex
from app.services.galleries import bootstrap_default_gallery
from app.services.identification import rank_subjects
from bench.service_fixture import percentile, running_service, scan, signature_checkpoint
from models.reference_scoring import ReferenceScoring

DIMENSION = 128
PER_SUBJECT = 2
BATCH = 20_000


def fill(database_url: str, data_dir: Path, size: int, rng: np.random.Generator) -> None:
    """``size`` references of bench-signature:1 in the default gallery, inserted in bulk."""
    engine = make_engine(database_url)  # creates the data directory
    migrate.upgrade(database_url)
    sessions = session_factory(engine)
    bootstrap_default_gallery(sessions, data_dir)
    with transaction(sessions) as session:
        gallery = session.query(Gallery).one()
        gallery.revision = 1
        gallery_id = gallery.id
    for start in range(0, size, BATCH):
        count = min(BATCH, size - start)
        subjects = [
            {"id": uuid.uuid4(), "gallery_id": gallery_id, "attributes": {}}
            for _ in range(count // PER_SUBJECT)
        ]
        vectors = rng.normal(size=(count, DIMENSION)).astype(np.float32)
        vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
        rows = [
            {
                "id": uuid.uuid4(),
                "subject_id": subjects[i // PER_SUBJECT]["id"],
                "gallery_id": gallery_id,
                "modality": "signature",
                "model_name": "bench-signature",
                "model_version": "1",
                "dimension": DIMENSION,
                "embedding": encode_vector(vectors[i]),
                "image_sha256": "0" * 64,
                "revision": 1,
            }
            for i in range(count)
        ]
        with transaction(sessions) as session:
            session.execute(insert(Subject), subjects)
            session.execute(insert(Reference), rows)
    engine.dispose()


def timed(work: object, queries: np.ndarray) -> list[float]:
    latencies = []
    for query in queries:
        started = time.perf_counter()
        work(query)  # type: ignore[operator]
        latencies.append(time.perf_counter() - started)
    return latencies


def bench_size(size: int, queries: int, http: bool, port: int, scoring: ReferenceScoring) -> str:
    rng = np.random.default_rng(size)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        checkpoint = signature_checkpoint(root / "signature.safetensors", scoring)
        data_dir = root / "data"
        database_url = f"sqlite:///{data_dir / 'twinverify.db'}"
        started = time.perf_counter()
        fill(database_url, data_dir, size, rng)
        filled = time.perf_counter() - started

        engine = make_engine(database_url)
        sessions = session_factory(engine)
        index = SearchIndex()
        started = time.perf_counter()
        index.load_all(sessions)
        loaded = time.perf_counter() - started
        model = load_registry({"signature": checkpoint}, torch.device("cpu")).models["signature"]
        key = ModelKey("signature", "bench-signature", "1")
        (gallery_id,) = {g for g, _ in index.sizes()}
        with index.synced(sessions, gallery_id) as gallery:
            matrix = gallery.matrix(key)
        assert matrix is not None
        assert len(matrix) == size
        probes = rng.normal(size=(queries, DIMENSION)).astype(np.float32)

        def service_search(query: np.ndarray) -> None:
            with index.synced(sessions, gallery_id):
                rank_subjects(model, matrix, query, -1e9, 5)

        first = timed(service_search, probes[:1])[0]  # the rule's per-subject work, cold

        vectors = matrix.vectors

        def bare_scan(query: np.ndarray) -> None:
            distances = np.sqrt(((vectors - query) ** 2).sum(axis=1))
            np.argpartition(distances, 5)[:5]

        tensor = torch.from_numpy(vectors)

        def bare_torch_scan(query: np.ndarray) -> None:
            distances = torch.linalg.vector_norm(tensor - torch.from_numpy(query), dim=1)
            torch.topk(distances, 5, largest=False)

        service = timed(service_search, probes)
        bare = timed(bare_scan, probes)
        bare_torch = timed(bare_torch_scan, probes)
        engine.dispose()
        line = (
            f"{size:>9,d} refs  search p50 {1000 * percentile(service, 50):8.2f} ms"
            f" p99 {1000 * percentile(service, 99):8.2f} ms | numpy scan p50"
            f" {1000 * percentile(bare, 50):8.2f} ms (ratio"
            f" {percentile(service, 50) / percentile(bare, 50):5.2f}) | torch scan p50"
            f" {1000 * percentile(bare_torch, 50):8.2f} ms (ratio"
            f" {percentile(service, 50) / percentile(bare_torch, 50):5.2f})"
            f" | first search {1000 * first:8.1f} ms"
            f" | bulk insert {filled:6.1f} s, load at start {loaded:6.1f} s"
        )
        if http:
            with running_service(data_dir, checkpoint, port) as service:
                latencies = asyncio.run(_http_identify(service.url, service.key, queries))
            line += (
                f" | HTTP identify p50 {1000 * percentile(latencies, 50):7.1f} ms"
                f" p99 {1000 * percentile(latencies, 99):7.1f} ms"
            )
        return line


async def _http_identify(url: str, header: dict[str, str], queries: int) -> list[float]:
    latencies = []
    async with httpx.AsyncClient(base_url=url, timeout=300) as client:
        for n in range(queries + 3):
            started = time.perf_counter()
            response = await client.post(
                "/v1/identify",
                data={"modality": "signature", "threshold": "-1000", "top_k": "5"},
                files=[("image", ("p.png", scan(n), "image/png"))],
                headers=header,
            )
            response.raise_for_status()
            if n >= 3:  # the first calls warm the process up
                latencies.append(time.perf_counter() - started)
    return latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000])
    parser.add_argument("--queries", type=int, default=30)
    parser.add_argument("--http", action="store_true", help="also time identify over HTTP")
    parser.add_argument("--port", type=int, default=8766)
    parser.add_argument("--scoring", choices=["max", "mean_minus_spread"], default="max")
    args = parser.parse_args()
    # the prior only shifts scores; any value costs the same to search
    prior = None if args.scoring == "max" else -1.0
    scoring = ReferenceScoring(rule=args.scoring, prior_spread=prior)
    print(f"subjects scored by {args.scoring} over their {PER_SUBJECT} references")
    for size in args.sizes:
        print(bench_size(size, args.queries, args.http, args.port, scoring), flush=True)


if __name__ == "__main__":
    main()
