"""Upload limits, the model listing and the Prometheus metrics."""

import os
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from PIL import Image

from models.bundled import SIGNATURE_CHECKPOINT
from tests.app.client import client_for
from tests.app.service import (
    ADMIN_KEY,
    assert_problem,
    default_key,
    encoded,
    enroll,
    files,
    identify,
    service_settings,
)
from tests.app.signature_images import digit_indices, page, png

pytestmark = pytest.mark.anyio


async def test_bad_probes_are_refused_with_their_reason(
    tmp_path: Path, database_url: str, signature_checkpoint: Path
) -> None:
    settings = service_settings(
        tmp_path,
        database_url,
        signature_checkpoint,
        max_upload_bytes=4096,
        max_image_pixels=10_000,
        max_enroll_images=1,
    )
    noisy = Image.frombytes("L", (90, 90), os.urandom(90 * 90))
    async with client_for(settings, ready=True) as client:
        key = default_key(tmp_path)

        async def probe(data: bytes) -> dict[str, object]:
            response = await identify(client, key, data)
            return {"status": response.status_code, **response.json()}

        good = png(digit_indices()[3][100])
        assert (await probe(good))["status"] == 200
        cases = [
            (b"", 422, "image-unreadable"),
            (good[:-40], 422, "image-unreadable"),
            (encoded(page(1), "GIF"), 415, "unsupported-image-format"),
            (encoded(noisy, "PNG"), 413, "upload-too-large"),
            # 12,000 pixels of white: a few hundred bytes, refused before decoding.
            (encoded(Image.new("L", (120, 100), 255), "PNG"), 413, "too-many-pixels"),
        ]
        for data, status, slug in cases:
            response = await identify(client, key, data)
            assert_problem(response, status, slug)

        # Past the whole-request limit the body is refused before it is parsed: declared...
        limit = settings.max_request_bytes
        oversize = await client.post(
            "/v1/enroll",
            data={"modality": "signature", "external_id": "x", "create": "true"},
            files=files("images", b"\0" * (limit + 1)),
            headers=key,
        )
        assert "request body exceeds" in assert_problem(oversize, 413, "upload-too-large")["detail"]

        # ... or streamed without a length.
        async def chunks() -> AsyncIterator[bytes]:
            yield (
                b'--xyz\r\nContent-Disposition: form-data; name="image"; '
                b'filename="a.png"\r\nContent-Type: image/png\r\n\r\n'
            )
            for _ in range(limit // 65536 + 2):
                yield b"\0" * 65536
            yield b"\r\n--xyz--\r\n"

        streamed = await client.post(
            "/v1/identify",
            content=chunks(),
            headers={**key, "content-type": "multipart/form-data; boundary=xyz"},
        )
        assert "request body exceeds" in assert_problem(streamed, 413, "upload-too-large")["detail"]


async def test_models_lists_enabled_and_disabled_modalities(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    listing = await client.get("/v1/models", headers=default_key(tmp_path))
    assert (await client.get("/v1/models")).status_code == 401
    models = {m["modality"]: m for m in listing.json()["models"]}
    signature = models["signature"]
    assert signature["enabled"] is True
    assert (signature["name"], signature["version"]) == ("test-signature", "1")
    assert signature["embedding_size"] == 128
    assert signature["score_kind"] == "negative_euclidean_distance"
    # on a CPU, auto runs float32 with NHWC convolutions; bf16 is never chosen by itself
    assert signature["device"] == "cpu"
    assert signature["compute_path"] == "channels-last"
    assert set(signature["thresholds"]) == {
        "eer",
        "far_5e-02",
        "far_1e-02",
        "far_1e-03",
        "far_1e-04",
    }
    assert signature["default_operating_point"] == "far_5e-02"  # the signature default FAR
    assert signature["likelihood_ratio"]["slope"] > 0  # more alike, more evidence
    # the test model scores subjects by their best reference (no prior: omitted)
    assert signature["reference_scoring"] == {"rule": "max", "prior_weight": 1.0}
    assert 0 < signature["metrics"]["validation"]["eer"] < 0.2
    assert models["face"]["enabled"] is False
    assert "name" not in models["face"]
    assert "no checkpoint" in models["face"]["disabled_reason"]


async def test_each_modality_has_its_own_default_operating_point(
    tmp_path: Path, database_url: str, signature_checkpoint: Path
) -> None:
    settings = service_settings(
        tmp_path, database_url, signature_checkpoint, signature_default_far=1e-4
    )
    assert settings.default_far("face") == 1e-3  # untouched by the signature setting
    async with client_for(settings, ready=True) as client:
        key = default_key(tmp_path)
        listing = await client.get("/v1/models", headers=key)
        [signature] = [m for m in listing.json()["models"] if m["modality"] == "signature"]
        await enroll(client, key, digit_indices()[3][100:103], "w3")
        verified = await client.post(
            "/v1/verify",
            data={"modality": "signature", "external_id": "w3"},
            files=files("image", png(digit_indices()[3][110])),
            headers=key,
        )
    assert signature["default_operating_point"] == "far_1e-04"
    assert verified.json()["far"] == 1e-4
    assert verified.json()["decision_rule"]["operating_point"] == "far_1e-04"


async def test_metrics_count_requests_embeddings_and_gallery_sizes(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    key = default_key(tmp_path)
    await enroll(client, key, digit_indices()[4][100:103], "w4")
    for _ in range(2):
        await identify(client, key, png(digit_indices()[4][110]))
    text = (await client.get("/metrics")).text

    def value(prefix: str) -> float:
        lines = [line for line in text.splitlines() if line.startswith(prefix)]
        assert len(lines) == 1, (prefix, lines)
        return float(lines[0].rsplit(" ", 1)[1])

    route = 'method="POST",route="/v1/identify",status="200"'
    assert value(f"twinverify_http_requests_total{{{route}}}") == 2
    assert (
        value('twinverify_http_request_duration_seconds_count{method="POST",route="/v1/identify"}')
        == 2
    )
    assert value('twinverify_embeddings_computed_total{modality="signature"}') == 5
    # one pass for the enrolment's three images, one per identify probe
    assert value('twinverify_batch_size_count{modality="signature"}') == 3
    assert value('twinverify_batch_size_sum{modality="signature"}') == 5
    assert value("twinverify_gallery_references{") == 3
    assert 'route="/v1/subjects/{subject_id}' not in text or "unmatched" not in text


async def test_unknown_methods_share_one_metrics_series(tmp_path: Path) -> None:
    """Method names are free-form tokens: each new one must not become a new series."""
    settings = service_settings(tmp_path, f"sqlite:///{tmp_path / 'db'}", SIGNATURE_CHECKPOINT)
    # ready first: series that appear as start-up finishes must not count as the methods'
    async with client_for(settings, ready=True) as client:
        before = (await client.get("/metrics")).text
        for i in range(50):
            response = await client.request(f"PROBE{i}", "/v1/subjects")
            assert response.status_code == 405
        after = (await client.get("/metrics")).text
    series = [line for line in after.splitlines() if line.startswith("twinverify_http_requests")]
    assert not any("PROBE" in line for line in series)
    other = 'method="other",route="/v1/subjects",status="405"'
    assert f"twinverify_http_requests_total{{{other}}} 50.0" in after
    # 50 strange methods added one counter series and one histogram (its buckets, sum, count).
    assert len(after.splitlines()) - len(before.splitlines()) <= 2 * (len(_BUCKETS) + 8)


_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


@pytest.mark.parametrize(
    ("access", "address", "key", "status"),
    [
        ("localhost", "127.0.0.1", None, 200),
        ("localhost", "::1", None, 200),
        ("localhost", "203.0.113.9", None, 401),
        ("localhost", "203.0.113.9", "gallery", 403),
        ("localhost", "203.0.113.9", "admin", 200),
        ("admin-key", "127.0.0.1", None, 401),
        ("admin-key", "127.0.0.1", "admin", 200),
        ("open", "203.0.113.9", None, 200),
        ("off", "127.0.0.1", "admin", 404),
    ],
)
async def test_metrics_are_readable_only_as_the_access_setting_allows(
    tmp_path: Path, access: str, address: str, key: str | None, status: int
) -> None:
    settings = service_settings(
        tmp_path, f"sqlite:///{tmp_path / 'db'}", SIGNATURE_CHECKPOINT, metrics_access=access
    )
    async with client_for(settings, client_address=address) as client:
        headers = {
            None: {},
            "admin": {"X-API-Key": ADMIN_KEY},
            "gallery": default_key(tmp_path),
        }[key]
        response = await client.get("/metrics", headers=headers)
    assert response.status_code == status
    if status == 200:
        assert "twinverify_http_requests_total" in response.text
    else:
        assert response.headers["content-type"] == "application/problem+json"
        assert "twinverify" not in response.text.replace("TWINVERIFY_", "")


async def test_a_wrong_method_is_told_which_methods_the_route_allows(tmp_path: Path) -> None:
    settings = service_settings(tmp_path, f"sqlite:///{tmp_path / 'db'}", SIGNATURE_CHECKPOINT)
    async with client_for(settings) as client:
        response = await client.put("/v1/verify")
        wrong = await client.request("BREW", "/v1/subjects")
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    assert response.json()["type"] == "/problems/method-not-allowed"
    assert set(wrong.headers["allow"].split(", ")) == {"GET", "POST"}
