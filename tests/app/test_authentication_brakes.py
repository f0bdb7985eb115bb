"""Authentication comes first and has brakes: strangers get 401 whatever their body, and an
address that keeps presenting wrong keys is refused with 429 for a while."""

from pathlib import Path

import pytest

from app.core.auth_throttle import MAX_TRACKED_ADDRESSES, AuthThrottle
from app.core.config import Settings
from tests.app.client import client_for

pytestmark = pytest.mark.anyio

ADMIN = "a" * 32


def settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'db'}",
        admin_key=ADMIN,
        device="cpu",
        face_checkpoint=None,
        **overrides,  # type: ignore[arg-type]
    )


def gallery_key(tmp_path: Path) -> dict[str, str]:
    return {"X-API-Key": (tmp_path / "default-api-key").read_text().strip()}


async def test_a_stranger_gets_401_not_a_description_of_the_body(tmp_path: Path) -> None:
    json_type = {"content-type": "application/json"}
    # ready first: while the models load, a keyed verify is 503 not-ready, whatever its body
    async with client_for(settings(tmp_path), ready=True) as client:
        for headers, status, slug in [
            ({}, 401, "missing-api-key"),
            ({"X-API-Key": "tv_wrong"}, 401, "invalid-api-key"),
            (gallery_key(tmp_path), 422, "validation-error"),
        ]:
            malformed = await client.post(
                "/v1/subjects", content=b"{not json", headers={**headers, **json_type}
            )
            invalid = await client.post("/v1/subjects", json={"external_id": 7}, headers=headers)
            form = await client.post("/v1/verify", data={"modality": "palm"}, headers=headers)
            for response in (malformed, invalid, form):
                assert response.status_code == status, response.text
                assert response.json()["type"] == f"/problems/{slug}"
        # the admin routes alike: a gallery key is refused before the body is judged
        admin_only = await client.post(
            "/v1/admin/galleries", json={"name": "bad name!"}, headers=gallery_key(tmp_path)
        )
        assert admin_only.status_code == 403
        assert admin_only.json()["type"] == "/problems/admin-required"
        admin = await client.post(
            "/v1/admin/galleries", json={"name": "bad name!"}, headers={"X-API-Key": ADMIN}
        )
        assert admin.status_code == 422


async def test_wrong_keys_from_one_address_are_braked_with_429(tmp_path: Path) -> None:
    brakes = settings(tmp_path, auth_failure_limit=5, auth_failure_window_seconds=600)
    async with client_for(brakes, client_address="198.51.100.7") as client:
        wrong = {"X-API-Key": "tv_guess"}
        statuses = [(await client.get("/v1/subjects", headers=wrong)).status_code for _ in range(5)]
        assert statuses == [401] * 5
        # a missing key guesses nothing and is not counted; the sixth guess is braked
        braked = await client.get("/v1/subjects", headers=wrong)
        assert braked.status_code == 429
        assert braked.json()["type"] == "/problems/too-many-auth-failures"
        assert 590 <= int(braked.headers["retry-after"]) <= 600
        # while braked, even the right key is refused from this address (checked first)
        right = await client.get("/v1/subjects", headers=gallery_key(tmp_path))
        assert right.status_code == 429
        admin = await client.get("/v1/admin/galleries", headers={"X-API-Key": ADMIN})
        assert admin.status_code == 429
    async with client_for(brakes, client_address="198.51.100.8") as other:
        assert (await other.get("/v1/subjects", headers=gallery_key(tmp_path))).status_code == 200


def test_the_brake_releases_as_failures_leave_the_window() -> None:
    now = [0.0]
    throttle = AuthThrottle(limit=3, window=10.0, clock=lambda: now[0])
    for second in (0.0, 1.0, 2.0):
        now[0] = second
        assert throttle.retry_after("a") is None
        throttle.record_failure("a")
    assert throttle.retry_after("a") == 8  # the first failure leaves at t = 10
    assert throttle.retry_after("b") is None
    now[0] = 10.0
    assert throttle.retry_after("a") is None  # two failures left in the window
    throttle.record_failure("a")
    assert throttle.retry_after("a") == 1


def test_the_brake_remembers_a_bounded_number_of_addresses() -> None:
    throttle = AuthThrottle(limit=1, window=60.0, clock=lambda: 0.0)
    for n in range(MAX_TRACKED_ADDRESSES + 500):
        throttle.record_failure(f"10.0.{n // 256}.{n % 256}")
    assert len(throttle._failures) == MAX_TRACKED_ADDRESSES
    assert throttle.retry_after("10.0.0.0") is None  # the oldest was forgotten
    assert (
        throttle.retry_after(
            f"10.0.{(MAX_TRACKED_ADDRESSES + 499) // 256}.{(MAX_TRACKED_ADDRESSES + 499) % 256}"
        )
        == 60
    )
