"""Verify (1:1) and identify (1:N) over HTTP with a real model, and their audit trail."""

from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.db.models import AuditEvent
from models.checkpoint import load_checkpoint, save_checkpoint
from models.reference_scoring import ReferenceScoring
from tests.app.client import client_for
from tests.app.service import (
    assert_problem,
    default_key,
    enroll,
    files,
    identify,
    service_settings,
)
from tests.app.signature_images import digit_indices, png

pytestmark = pytest.mark.anyio


async def test_verify_against_a_subject_and_pairwise(
    tmp_path: Path, database_url: str, signature_checkpoint: Path, client: httpx.AsyncClient
) -> None:
    sevens = digit_indices()[7][100:103]
    metadata = load_checkpoint(signature_checkpoint).metadata
    thresholds = metadata.thresholds
    evidence = metadata.likelihood_ratio
    assert evidence is not None  # training fits one beside the thresholds
    key = default_key(tmp_path)
    enrolled = (await enroll(client, key, sevens, "w7")).json()
    subject_id = enrolled["subject"]["id"]

    same = await client.post(
        "/v1/verify",
        data={"modality": "signature", "external_id": "w7"},
        files=files("image", png(sevens[1])),
        headers=key,
    )
    assert same.status_code == 200, same.text
    body = same.json()
    # The probe is one of the references: its best score is a zero distance.
    assert body["match"] is True
    assert body["score"] == pytest.approx(0.0, abs=1e-5)
    assert body["best_reference_id"] == enrolled["images"][1]["reference_id"]
    assert body["references_compared"] == 3
    assert body["stale_references"] == 0
    assert body["subject"]["id"] == subject_id
    assert body["far"] == 5e-2  # the settings' default operating point for signatures
    assert body["threshold"] == pytest.approx(thresholds["far_5e-02"].threshold)
    assert body["decision_rule"]["operating_point"] == "far_5e-02"
    # A zero distance is strong evidence of the same writer, bounded by the trial count.
    assert body["log10_likelihood_ratio"] == pytest.approx(evidence.log10_lr(0.0), abs=1e-3)
    assert body["log10_likelihood_ratio"] > 1
    assert body["model"] == {"name": "test-signature", "version": "1"}

    # A stricter or looser operating point changes the threshold, not the score.
    other = digit_indices()[7][110]
    loosest = min(point.threshold for point in thresholds.values() if point.target_far)
    strict = await client.post(
        "/v1/verify",
        data={"modality": "signature", "subject_id": subject_id, "far": "1e-4"},
        files=files("image", png(other)),
        headers=key,
    )
    loose = await client.post(
        "/v1/verify",
        data={"modality": "signature", "subject_id": subject_id, "threshold": str(loosest)},
        files=files("image", png(other)),
        headers=key,
    )
    assert strict.json()["threshold"] == pytest.approx(thresholds["far_1e-04"].threshold)
    assert strict.json()["score"] == pytest.approx(loose.json()["score"], abs=1e-6)
    assert loose.json()["match"] is (loose.json()["score"] >= loosest)
    assert loose.json()["threshold"] == loosest
    assert loose.json()["far"] is None
    assert strict.json()["score"] < 0
    # The evidence follows the score, not the operating point.
    assert strict.json()["log10_likelihood_ratio"] == loose.json()["log10_likelihood_ratio"]
    assert strict.json()["log10_likelihood_ratio"] == pytest.approx(
        evidence.log10_lr(strict.json()["score"]), abs=1e-3
    )

    pair = await client.post(
        "/v1/verify",
        data={"modality": "signature", "far": "1e-2"},
        files=[
            ("image", ("a.png", png(other), "image/png")),
            ("image_b", ("b.png", png(sevens[0]), "image/png")),
        ],
        headers=key,
    )
    assert pair.status_code == 200, pair.text
    assert pair.json()["references_compared"] == 1
    assert pair.json()["subject"] is None
    # Pairwise against one reference equals the subject score when that one is best.
    assert pair.json()["score"] <= strict.json()["score"] + 1e-6

    engine = create_engine(database_url)
    with Session(engine) as session:
        trail = list(session.scalars(select(AuditEvent).order_by(AuditEvent.id)))
    engine.dispose()
    assert [e.action for e in trail] == ["enroll"] + ["verify"] * 4  # the enrol came first
    events = trail[1:]
    assert [e.decision for e in events] == [
        True,
        strict.json()["match"],
        True,
        pair.json()["match"],
    ]
    assert events[0].score == pytest.approx(body["score"])
    assert str(events[0].subject_id) == subject_id
    assert events[3].subject_id is None
    assert events[0].details["probe_sha256"]
    assert "image" not in events[0].details
    assert {e.model_version for e in events} == {"1"}


async def test_identify_ranks_subjects_and_says_unknown(
    tmp_path: Path, database_url: str, signature_checkpoint: Path
) -> None:
    by_digit = digit_indices()
    # rank-1 below counts the nearest subject whatever its score: a threshold below every
    # score, which the default policy refuses
    settings = service_settings(
        tmp_path, database_url, signature_checkpoint, explicit_thresholds="any"
    )
    async with client_for(settings, ready=True) as client:
        key = default_key(tmp_path)
        # Eight references each: the small test model trains differently on different CPUs
        # (AVX2 and AVX-512 kernels round differently). With four, rank-1 measured above
        # 0.8 on an AMD EPYC but 0.77 on an Intel Xeon; with eight, 0.85 on the Xeon.
        for digit in range(10):
            response = await enroll(client, key, by_digit[digit][100:108], f"w{digit}")
            assert response.status_code == 201

        exact = await identify(client, key, png(by_digit[2][101]), top_k=3)
        assert exact.status_code == 200, exact.text
        body = exact.json()
        assert body["unknown"] is False
        assert body["candidates"][0]["subject"]["external_id"] == "w2"
        assert body["candidates"][0]["score"] == pytest.approx(0.0, abs=1e-5)
        scores = [c["score"] for c in body["candidates"]]
        assert scores == sorted(scores, reverse=True)
        assert len({c["subject"]["id"] for c in body["candidates"]}) == len(scores) <= 3
        assert body["references_searched"] == 80

        # Nothing passes a threshold above every possible score: unknown, not a guess.
        unknown = await identify(client, key, png(by_digit[2][120]), threshold="0.001")
        assert unknown.status_code == 200
        assert unknown.json() == unknown.json() | {"candidates": [], "unknown": True}

        # The figure the service exists for: unseen probes find their writer.
        hits = 0
        probes = [(digit, i) for digit in range(10) for i in by_digit[digit][130:140]]
        for digit, index in probes:
            result = (await identify(client, key, png(index), top_k=1, threshold="-1000")).json()
            hits += result["candidates"][0]["subject"]["external_id"] == f"w{digit}"
        rank1 = hits / len(probes)
        print(f"rank-1 identification over {len(probes)} unseen probes: {rank1:.3f}")
        assert rank1 >= 0.8


async def test_verify_and_identify_errors_are_problems(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    probe = files("image", png(digit_indices()[0][100]))
    key = default_key(tmp_path)
    await enroll(client, key, [digit_indices()[0][100]], "w0")

    async def post(path: str, **data: str) -> httpx.Response:
        return await client.post(
            path, data={"modality": "signature", **data}, files=probe, headers=key
        )

    uncalibrated = await post("/v1/verify", external_id="w0", far="0.5")
    assert "0.001" in assert_problem(uncalibrated, 422, "unknown-operating-point")["detail"]
    both = await post("/v1/verify", external_id="w0", far="1e-3", threshold="0")
    assert_problem(both, 422, "validation-error")
    assert_problem(await post("/v1/verify"), 422, "validation-error")
    ghost = await post("/v1/verify", external_id="ghost")
    assert "create" not in assert_problem(ghost, 404, "subject-not-found")["detail"]
    assert_problem(await post("/v1/identify", top_k="0"), 422, "validation-error")
    assert_problem(await post("/v1/identify", far="2"), 422, "validation-error")
    # a threshold that is not a finite number is refused, never a server error
    for value in ("nan", "inf", "-inf", "Infinity"):
        for path in ("/v1/verify", "/v1/identify"):
            refused = await post(path, external_id="w0", threshold=value)
            assert "threshold" in str(assert_problem(refused, 422, "validation-error"))
    # finite but looser than the loosest calibrated point: refused by the default policy
    listed = (await client.get("/v1/models", headers=key)).json()["models"]
    points = next(m for m in listed if m["modality"] == "signature")["thresholds"]
    loosest = min(p["threshold"] for p in points.values() if p.get("target_far"))
    for path in ("/v1/verify", "/v1/identify"):
        for value in ("-1e308", str(loosest - 1e-3)):
            refused = await post(path, external_id="w0", threshold=value)
            detail = assert_problem(refused, 422, "threshold-out-of-range")["detail"]
            assert f"{loosest:g}" in detail
        at_the_edge = await post(path, external_id="w0", threshold=str(loosest))
        assert at_the_edge.status_code == 200, at_the_edge.text
    face = await client.post("/v1/identify", data={"modality": "face"}, files=probe, headers=key)
    assert_problem(face, 409, "modality-not-enabled")
    iris = await client.post("/v1/identify", data={"modality": "iris"}, files=probe, headers=key)
    assert_problem(iris, 422, "validation-error")
    assert_problem(
        await client.post("/v1/identify", data={"modality": "signature"}, files=probe),
        401,
        "missing-api-key",
    )
    assert_problem(
        await client.post(
            "/v1/identify",
            data={"modality": "signature"},
            files=probe,
            headers={"X-API-Key": "tv_not-a-key"},
        ),
        401,
        "invalid-api-key",
    )


async def test_adapted_scoring_is_the_same_in_verify_and_identify(
    tmp_path: Path, database_url: str, signature_checkpoint: Path
) -> None:
    """A model that scores a subject by its mean reference score less the subject's spread:
    verify gives the known answer (rebuilt from pairwise scores through the API), identify
    gives every subject that same score, and a deleted reference changes both alike."""
    prior, weight = -0.5, 1.0
    source = load_checkpoint(signature_checkpoint)
    scoring = ReferenceScoring(rule="mean_minus_spread", prior_spread=prior, prior_weight=weight)
    adapted = tmp_path / "adapted.safetensors"
    metadata = source.metadata.model_copy(update={"reference_scoring": scoring})
    save_checkpoint(adapted, source.model, metadata)
    by_digit = digit_indices()
    # every subject's score is compared, so the threshold lies below all of them
    settings = service_settings(tmp_path, database_url, adapted, explicit_thresholds="any")
    async with client_for(settings, ready=True) as client:
        key = default_key(tmp_path)

        async def verify(data: dict[str, str], *images: bytes) -> dict[str, Any]:
            names = ["image", "image_b"]
            response = await client.post(
                "/v1/verify",
                data={"modality": "signature", "threshold": "-1000", **data},
                files=[
                    (names[i], (f"{i}.png", image, "image/png")) for i, image in enumerate(images)
                ],
                headers=key,
            )
            assert response.status_code == 200, response.text
            body: dict[str, Any] = response.json()
            return body

        async def raw(first: int, second: int) -> float:
            # a pair is a subject with one reference: its score is the raw score less the prior
            return float((await verify({}, png(first), png(second)))["score"]) + prior

        references = by_digit[3][100:104]
        enrolled = (await enroll(client, key, references, "w3")).json()
        for digit in (1, 5, 8):
            await enroll(client, key, by_digit[digit][100:104], f"w{digit}")
        probe = by_digit[3][120]

        async def expected(kept: list[int]) -> float:
            probe_scores = [await raw(probe, r) for r in kept]
            pairs = [await raw(a, b) for i, a in enumerate(kept) for b in kept[i + 1 :]]
            spread = (sum(pairs) + weight * prior) / (len(pairs) + weight)
            return float(np.mean(probe_scores)) - spread

        async def identified() -> dict[str, float]:
            found = await identify(client, key, png(probe), top_k=10, threshold="-1000")
            candidates = found.json()["candidates"]
            return {c["subject"]["external_id"]: c["score"] for c in candidates}

        verified = await verify({"external_id": "w3"}, png(probe))
        assert verified["score"] == pytest.approx(await expected(references), abs=1e-4)
        ranked = await identified()
        assert set(ranked) == {"w1", "w3", "w5", "w8"}
        assert ranked["w3"] == pytest.approx(verified["score"], abs=1e-5)
        for name in ("w1", "w5", "w8"):
            other = await verify({"external_id": name}, png(probe))
            assert ranked[name] == pytest.approx(other["score"], abs=1e-5)

        # Remove a reference: the subject's spread is rebuilt, in verify and identify alike.
        gone = enrolled["images"][0]["reference_id"]
        subject_id = enrolled["subject"]["id"]
        deleted = await client.delete(f"/v1/subjects/{subject_id}/references/{gone}", headers=key)
        assert deleted.status_code == 204
        after = await verify({"external_id": "w3"}, png(probe))
        assert after["references_compared"] == 3
        assert after["score"] == pytest.approx(await expected(references[1:]), abs=1e-4)
        assert after["score"] != pytest.approx(verified["score"], abs=1e-4)
        assert (await identified())["w3"] == pytest.approx(after["score"], abs=1e-5)
