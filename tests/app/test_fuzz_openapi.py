"""Property-based fuzzing of every operation in the service's own OpenAPI document.

Schemathesis generates requests from the schema (valid ones, and invalid ones that break
it on purpose), sent over loopback HTTP to the real service with the shipped signature
model: with the right key, and as a stranger. Whatever arrives, the answer is never a
server error, and every error is a problem+json document. Hypothesis is derandomised, so
CI runs the same requests every time; the count is asserted, not the time.
"""

import collections
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode

from app.core.config import Settings
from models.bundled import SIGNATURE_CHECKPOINT
from tests.app.live_server import live_server

ADMIN_KEY = "a" * 32
EXAMPLES = 40  # per operation and pass; 18 operations x 3 passes
MIN_REQUESTS = 2000


@pytest.mark.slow
def test_no_generated_request_gets_a_server_error(tmp_path: Path) -> None:
    service = Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'twinverify.db'}",
        admin_key=ADMIN_KEY,
        device="cpu",
        face_checkpoint=None,
        signature_checkpoint=SIGNATURE_CHECKPOINT,
        # strangers' wrong keys are part of the fuzz: do not brake them into 429s
        auth_failure_limit=10**9,
    )
    statuses: collections.Counter[int] = collections.Counter()
    failures: list[str] = []
    with live_server(service) as url:
        gallery_key = (tmp_path / "default-api-key").read_text().strip()
        schema = schemathesis.openapi.from_url(f"{url}/openapi.json")
        operations = [result.ok() for result in schema.get_all_operations()]
        assert len(operations) >= 18
        passes = [
            (GenerationMode.POSITIVE, True),
            (GenerationMode.NEGATIVE, True),
            (GenerationMode.NEGATIVE, False),
        ]
        for operation in operations:
            key = ADMIN_KEY if operation.path.startswith("/v1/admin") else gallery_key
            for mode, authenticated in passes:
                headers = {"X-API-Key": key} if authenticated else None
                try:
                    fuzz(operation, mode, headers, url, statuses, failures)
                except Unsatisfiable:
                    # nothing to break: an operation without parameters has no invalid form
                    assert mode is GenerationMode.NEGATIVE, operation.path
    total = sum(statuses.values())
    print(f"fuzzed {total} requests: {dict(sorted(statuses.items()))}")
    assert not failures, failures[:10]
    assert total >= MIN_REQUESTS
    assert statuses[401] > 0  # strangers were refused...
    assert sum(n for status, n in statuses.items() if status < 300) > 0  # ...and others served


def fuzz(
    operation: Any,
    mode: GenerationMode,
    headers: dict[str, str] | None,
    url: str,
    statuses: collections.Counter[int],
    failures: list[str],
) -> None:
    """EXAMPLES generated requests to one operation; failures collected, not raised, so
    one run reports every operation that misbehaves."""

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(operation.as_strategy(generation_mode=mode))
    def send(case: schemathesis.Case) -> None:
        response = case.call(base_url=url, headers=headers, timeout=60)
        statuses[response.status_code] += 1
        where = f"{case.method} {case.formatted_path} ({mode.value})"
        if response.status_code >= 500:
            failures.append(f"{where}: {response.status_code} {response.text[:200]}")
        elif response.status_code >= 400:
            kinds = response.headers.get("content-type") or [""]  # values come listed
            kind = kinds[0] if isinstance(kinds, list) else kinds
            if kind != "application/problem+json":
                failures.append(f"{where}: {response.status_code} as {kind!r}")

    send()
