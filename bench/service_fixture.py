"""Shared by the service benchmarks: a signature checkpoint of the shipped architecture,
signature-like scans, and the service running as a real uvicorn process."""

import io
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np
from PIL import Image, ImageDraw

from models.checkpoint import build_model, describe, save_checkpoint
from models.networks import EncoderSpec
from models.preprocessing import PreprocessSpec
from models.reference_scoring import BEST_REFERENCE, ReferenceScoring
from models.twin import ComparisonSpec

ENCODER = EncoderSpec(
    name="signature_cnn", embedding_size=128, in_channels=1, width=16, normalize=True
)
PREPROCESSING = PreprocessSpec(name="signature", height=150, width=220)


def signature_checkpoint(path: Path, scoring: ReferenceScoring = BEST_REFERENCE) -> Path:
    """Untrained weights of the signature architecture: inference costs what a trained
    model costs, which is all a latency benchmark needs. ``scoring``: how its subjects
    score against their references (the shipped model's rule costs more to search)."""
    comparison = ComparisonSpec(name="euclidean")
    model = build_model(ENCODER, comparison).eval()
    metadata = describe(
        model,
        name="bench-signature",
        version="1",
        modality="signature",
        encoder=ENCODER,
        comparison=comparison,
        preprocessing=PREPROCESSING,
        reference_scoring=scoring,
    )
    save_checkpoint(path, model, metadata)
    return path


def scan(seed: int) -> bytes:
    """A 900x400 'scan': a few random pen strokes on slightly tinted paper, as PNG."""
    rng = np.random.default_rng(seed)
    page = Image.new("L", (900, 400), int(rng.integers(225, 250)))
    draw = ImageDraw.Draw(page)
    for _ in range(int(rng.integers(3, 7))):
        points = [(float(x), float(y)) for x, y in rng.uniform((150, 120), (750, 280), (6, 2))]
        draw.line(points, fill=int(rng.integers(10, 60)), width=int(rng.integers(3, 7)))
    buffer = io.BytesIO()
    page.save(buffer, format="PNG")
    return buffer.getvalue()


@dataclass(frozen=True)
class RunningService:
    url: str
    port: int
    key: dict[str, str]  # the default gallery's key, as a header
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time the service's process has used so far, all threads (Linux)."""
        fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        user, system = int(fields[11]), int(fields[12])
        return (user + system) / os.sysconf("SC_CLK_TCK")


@contextmanager
def running_service(
    data_dir: Path, checkpoint: Path, port: int, threads: int = 2
) -> Iterator[RunningService]:
    """``uvicorn app.main:create_app --factory`` in its own process, ready."""
    env = {
        **os.environ,
        "TWINVERIFY_DATA_DIR": str(data_dir),
        "TWINVERIFY_SIGNATURE_CHECKPOINT": str(checkpoint),
        "TWINVERIFY_DEVICE": "auto",
        "TWINVERIFY_INFERENCE_THREADS": str(threads),
        # the benchmarks time full searches with a threshold below every score
        "TWINVERIFY_EXPLICIT_THRESHOLDS": "any",
    }
    command = [sys.executable, "-m", "uvicorn", "app.main:create_app", "--factory"]
    command += ["--port", str(port), "--log-level", "warning"]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_ready(url, process)
        key = (data_dir / "default-api-key").read_text().strip()
        yield RunningService(url, port, {"X-API-Key": key}, process.pid)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_ready(url: str, process: subprocess.Popen[bytes], timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the service exited with {process.returncode}")
        try:
            if httpx.get(f"{url}/health/ready", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the service was not ready after {timeout} s")


def percentile(values: list[float], q: float) -> float:
    return float(np.percentile(np.asarray(values), q))
