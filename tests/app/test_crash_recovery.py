"""``kill -9`` during enrol bursts, on SQLite and PostgreSQL: after a restart, every
reference the service acknowledged (a 201 naming it) is there, in SQL and through the API,
and the restarted service serves again."""

import asyncio
import os
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.db.models import Reference

# the benchmarks' signature-like scans: distinct, valid uploads per seed
from bench.service_fixture import scan as stroke_scan
from tests.app.live_server import free_port

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
CLIENTS = 8


def start_service(data_dir: Path, database_url: str, port: int) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "TWINVERIFY_DATA_DIR": str(data_dir),
        "TWINVERIFY_DATABASE_URL": database_url,
        "TWINVERIFY_FACE_CHECKPOINT": "",
        "TWINVERIFY_DEVICE": "cpu",
    }
    command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"]
    command += ["--host", "127.0.0.1", "--port", str(port), "--log-level", "warning"]
    return subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL)


async def wait_ready(url: str, process: subprocess.Popen[bytes]) -> None:
    async with httpx.AsyncClient(base_url=url, timeout=5) as http:
        for _ in range(600):
            assert process.poll() is None, "the service exited"
            try:
                if (await http.get("/health/ready")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.1)
    raise AssertionError("the service did not become ready")


async def test_every_acknowledged_reference_survives_kill_9(
    tmp_path: Path, database_url: str
) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    acknowledged: set[str] = set()
    attempted = 0
    process = start_service(tmp_path, database_url, port)
    try:
        await wait_ready(url, process)
        key = {"X-API-Key": (tmp_path / "default-api-key").read_text().strip()}

        async def burst(number: int, http: httpx.AsyncClient) -> None:
            nonlocal attempted
            for n in range(1000):
                attempted += 1
                images = [stroke_scan(10_000 * number + 2 * n + i) for i in range(2)]
                try:
                    response = await http.post(
                        "/v1/enroll",
                        data={
                            "modality": "signature",
                            "external_id": f"c{number}",
                            "create": "true",
                        },
                        files=[
                            ("images", (f"{i}.png", im, "image/png")) for i, im in enumerate(images)
                        ],
                    )
                except httpx.TransportError:
                    return  # the process is gone; this enrol was never acknowledged
                assert response.status_code == 201, response.text
                acknowledged.update(i["reference_id"] for i in response.json()["images"])

        async with httpx.AsyncClient(base_url=url, headers=key, timeout=60) as http:
            tasks = [asyncio.create_task(burst(n, http)) for n in range(CLIENTS)]
            while len(acknowledged) < 40:
                await asyncio.sleep(0.05)
            process.send_signal(signal.SIGKILL)  # mid-burst: requests are in flight
            process.wait(timeout=30)
            await asyncio.gather(*tasks)
        assert attempted > len(acknowledged) // 2  # the bursts were running when it died

        process = start_service(tmp_path, database_url, port)
        await wait_ready(url, process)
        engine = create_engine(database_url)
        with Session(engine) as session:
            stored = {str(r) for r in session.scalars(select(Reference.id))}
        engine.dispose()
        async with httpx.AsyncClient(base_url=url, headers=key, timeout=60) as http:
            subjects = (await http.get("/v1/subjects", params={"limit": 500})).json()["items"]
            listed: set[str] = set()
            for subject in subjects:
                rows = (await http.get(f"/v1/subjects/{subject['id']}/references")).json()
                listed |= {row["id"] for row in rows["items"]}
            found = await http.post(
                "/v1/identify",
                data={"modality": "signature"},
                files=[("image", ("p.png", stroke_scan(1), "image/png"))],
            )
    finally:
        process.kill()
        process.wait(timeout=30)
    print(f"acknowledged {len(acknowledged)}, stored after restart {len(stored)}")
    assert acknowledged <= stored  # nothing acknowledged was lost
    assert listed == stored  # and the API shows what SQL holds
    assert found.status_code == 200
    assert found.json()["references_searched"] == len(stored)
