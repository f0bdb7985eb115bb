"""48 clients at once over loopback HTTP, mixing enrol, verify, identify and deletes, on
SQLite and PostgreSQL: no server error, and at the end SQL, the API's listings and the
in-memory search agree on exactly the references that were acknowledged and not deleted."""

import asyncio
import random
import time
from pathlib import Path

import httpx
import numpy as np
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.db.models import Reference

# the benchmarks' signature-like scans: distinct, valid uploads per seed
from bench.service_fixture import scan as stroke_scan
from models.bundled import SIGNATURE_CHECKPOINT
from tests.app.live_server import live_server

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

CLIENTS = 48
REQUESTS_PER_CLIENT = 12


async def test_mixed_concurrent_clients_leave_sql_and_search_consistent(
    tmp_path: Path, database_url: str
) -> None:
    settings = Settings(
        data_dir=tmp_path,
        database_url=database_url,
        admin_key="a" * 32,
        device="cpu",
        face_checkpoint=None,
        signature_checkpoint=SIGNATURE_CHECKPOINT,
        explicit_thresholds="any",  # identify lists every subject below
    )
    scans = [stroke_scan(seed) for seed in range(64)]
    alive: dict[str, set[str]] = {}  # external id -> acknowledged, not deleted references
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    with live_server(settings) as url:
        key = {"X-API-Key": (tmp_path / "default-api-key").read_text().strip()}
        async with httpx.AsyncClient(base_url=url, headers=key, timeout=120) as http:

            async def call(method: str, path: str, **kwargs: object) -> httpx.Response:
                started = time.perf_counter()
                response = await http.request(method, path, **kwargs)  # type: ignore[arg-type]
                latencies.append(time.perf_counter() - started)
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                return response

            async def client(number: int) -> None:
                rng = random.Random(number)
                for _ in range(REQUESTS_PER_CLIENT):
                    subject = f"s{rng.randrange(8)}"
                    action = rng.choices(["enroll", "verify", "identify", "delete"], [4, 3, 2, 1])[
                        0
                    ]
                    image = scans[rng.randrange(len(scans))]
                    if action == "enroll":
                        response = await call(
                            "POST",
                            "/v1/enroll",
                            data={
                                "modality": "signature",
                                "external_id": subject,
                                "create": "true",
                            },
                            files=[("images", ("a.png", image, "image/png"))],
                        )
                        if response.status_code == 201:
                            made = {
                                i["reference_id"]
                                for i in response.json()["images"]
                                if i["accepted"]
                            }
                            alive.setdefault(subject, set()).update(made)
                    elif action == "verify":
                        await call(
                            "POST",
                            "/v1/verify",
                            data={"modality": "signature", "external_id": subject},
                            files=[("image", ("a.png", image, "image/png"))],
                        )
                    elif action == "identify":
                        await call(
                            "POST",
                            "/v1/identify",
                            data={"modality": "signature", "threshold": "-1000", "top_k": "3"},
                            files=[("image", ("a.png", image, "image/png"))],
                        )
                    elif alive.get(subject):
                        reference = rng.choice(sorted(alive[subject]))
                        listed = await call("GET", "/v1/subjects", params={"limit": 500})
                        ids = {s["external_id"]: s["id"] for s in listed.json()["items"]}
                        if subject in ids:
                            path = f"/v1/subjects/{ids[subject]}/references/{reference}"
                            if (await call("DELETE", path)).status_code == 204:
                                alive[subject].discard(reference)

            await asyncio.gather(*(client(n) for n in range(CLIENTS)))

            # consistency: SQL, the listings and the search hold exactly what was acknowledged
            expected = set().union(*alive.values()) if alive else set()
            engine = create_engine(database_url)
            with Session(engine) as session:
                in_sql = {str(r) for r in session.scalars(select(Reference.id))}
            engine.dispose()
            listed_subjects = (await http.get("/v1/subjects", params={"limit": 500})).json()
            in_api = set()
            for subject in listed_subjects["items"]:
                rows = (await http.get(f"/v1/subjects/{subject['id']}/references")).json()
                in_api |= {row["id"] for row in rows["items"]}
            found = await http.post(
                "/v1/identify",
                data={"modality": "signature", "threshold": "-1000"},
                files=[("image", ("a.png", scans[0], "image/png"))],
            )
    served = sum(n for status, n in statuses.items() if status < 300)
    p50, p99 = np.percentile(latencies, [50, 99])
    print(f"{len(latencies)} requests, statuses {statuses}, p50 {p50:.3f} s, p99 {p99:.3f} s")
    assert not any(status >= 500 for status in statuses), statuses
    assert served > CLIENTS * REQUESTS_PER_CLIENT // 2
    assert in_sql == expected
    assert in_api == expected
    assert found.json()["references_searched"] == len(expected)
