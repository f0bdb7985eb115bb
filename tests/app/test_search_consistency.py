"""1:N search: equal to a brute-force scan of the table, and consistent across processes
sharing one database, through enrolments and deletions."""

import asyncio
import random
import uuid
from pathlib import Path

import numpy as np
import pytest
import torch
from sqlalchemy import create_engine, select
from sqlalchemy.orm import Session

from app.core.config import Settings
from app.db.models import Reference
from models.checkpoint import load_checkpoint
from models.embedding import embed_images
from models.preprocessing import build_preprocessor, decode_image
from tests.app.client import client_for
from tests.app.service import default_key, enroll, identify, new_gallery, service_settings
from tests.app.signature_images import digit_indices, png, with_version

pytestmark = pytest.mark.anyio


def listing_settings(data_dir: Path, database_url: str, checkpoint: Path) -> Settings:
    """These tests list every candidate with a threshold below any score, which the
    service's default threshold policy refuses (TWINVERIFY_EXPLICIT_THRESHOLDS)."""
    return service_settings(data_dir, database_url, checkpoint, explicit_thresholds="any")


def brute_force(
    database_url: str, checkpoint_path: Path, probe: bytes, threshold: float, top_k: int
) -> list[tuple[str, float]]:
    """Everything from scratch: rows from SQL, the probe through models/, every distance."""
    checkpoint = load_checkpoint(checkpoint_path)
    preprocessor = build_preprocessor(checkpoint.metadata.preprocessing)
    image = preprocessor.prepare(decode_image(probe))[None]
    query = embed_images(checkpoint.model, preprocessor, image, torch.device("cpu"))[0].numpy()
    engine = create_engine(database_url)
    with Session(engine) as session:
        rows = session.execute(
            select(Reference.subject_id, Reference.embedding).where(
                Reference.model_version == checkpoint.metadata.version
            )
        ).all()
    engine.dispose()
    best: dict[str, float] = {}
    for subject_id, blob in rows:
        score = -float(np.linalg.norm(np.frombuffer(blob, dtype="<f4") - query))
        best[str(subject_id)] = max(best.get(str(subject_id), -np.inf), score)
    ranked = sorted(best.items(), key=lambda item: -item[1])
    return [(s, score) for s, score in ranked if score >= threshold][:top_k]


def served(response_json: dict[str, object]) -> list[tuple[str, float]]:
    candidates = response_json["candidates"]
    assert isinstance(candidates, list)
    return [(c["subject"]["id"], c["score"]) for c in candidates]


def assert_same_ranking(got: list[tuple[str, float]], want: list[tuple[str, float]]) -> None:
    assert [s for s, _ in got] == [s for s, _ in want]
    assert [score for _, score in got] == pytest.approx([score for _, score in want], abs=1e-4)


async def test_identify_equals_brute_force_over_the_table(
    tmp_path: Path, database_url: str, signature_checkpoint: Path
) -> None:
    rng = random.Random(7)
    pool = [i for digit in range(10) for i in digit_indices()[digit][100:150]]
    rng.shuffle(pool)
    settings = listing_settings(tmp_path, database_url, signature_checkpoint)
    async with client_for(settings, ready=True) as client:
        key = default_key(tmp_path)
        for n in range(30):  # 30 subjects with 1 to 4 references each
            images = [pool.pop() for _ in range(rng.randint(1, 4))]
            assert (await enroll(client, key, images, f"s{n}")).status_code == 201
        calibrated = load_checkpoint(signature_checkpoint).metadata.thresholds["eer"].threshold
        for probe_index in pool[:8]:
            probe = png(probe_index)
            for top_k, threshold in ((30, -1e9), (3, -1e9), (10, calibrated)):
                response = await identify(client, key, probe, top_k=top_k, threshold=threshold)
                want = brute_force(database_url, signature_checkpoint, probe, threshold, top_k)
                assert_same_ranking(served(response.json()), want)
                assert response.json()["references_searched"] > 30


async def test_two_processes_on_one_database_see_each_others_writes(
    tmp_path: Path, database_url: str, signature_checkpoint: Path
) -> None:
    settings = listing_settings(tmp_path, database_url, signature_checkpoint)
    by_digit = digit_indices()
    probe = png(by_digit[6][100])
    async with (
        client_for(settings, ready=True) as first,
        client_for(settings, ready=True) as second,
    ):
        key = default_key(tmp_path)
        assert (await identify(second, key, probe, threshold=-1e9)).json()["unknown"] is True

        enrolled = (await enroll(first, key, [by_digit[6][100], by_digit[6][101]], "w6")).json()
        await enroll(first, key, [by_digit[1][100]], "w1")
        seen = (await identify(second, key, probe, threshold=-1e9, top_k=5)).json()
        assert [c["subject"]["external_id"] for c in seen["candidates"]] == ["w6", "w1"]
        assert seen["references_searched"] == 3

        # A reference deleted through the second process leaves the first's matrix too.
        subject_id = enrolled["subject"]["id"]
        reference_id = enrolled["images"][0]["reference_id"]
        deleted = await second.delete(
            f"/v1/subjects/{subject_id}/references/{reference_id}", headers=key
        )
        assert deleted.status_code == 204
        after = (await identify(first, key, probe, threshold=-1e9, top_k=5)).json()
        assert after["references_searched"] == 2
        assert after["candidates"][0]["reference_id"] == enrolled["images"][1]["reference_id"]

        # A deleted subject disappears everywhere, references and all.
        assert (await first.delete(f"/v1/subjects/{subject_id}", headers=key)).status_code == 204
        gone = (await identify(second, key, probe, threshold=-1e9, top_k=5)).json()
        assert [c["subject"]["external_id"] for c in gone["candidates"]] == ["w1"]
        assert gone["references_searched"] == 1
        missing = await second.delete(
            f"/v1/subjects/{subject_id}/references/{reference_id}", headers=key
        )
        assert missing.status_code == 404

    # A process started later loads the table as it now is.
    async with client_for(settings, ready=True) as third:
        fresh = (await identify(third, key, probe, threshold=-1e9, top_k=5)).json()
        assert [c["subject"]["external_id"] for c in fresh["candidates"]] == ["w1"]


async def test_galleries_never_see_each_other(
    tmp_path: Path, database_url: str, signature_checkpoint: Path
) -> None:
    settings = listing_settings(tmp_path, database_url, signature_checkpoint)
    probe_index = digit_indices()[8][100]
    async with client_for(settings, ready=True) as client:
        mine = default_key(tmp_path)
        _, issued = await new_gallery(client, "b")
        theirs = {"X-API-Key": issued["key"]}
        enrolled = (await enroll(client, mine, [probe_index], "w8")).json()
        subject_id = enrolled["subject"]["id"]

        other = (await identify(client, theirs, png(probe_index), threshold=-1e9)).json()
        assert other["unknown"] is True
        assert other["references_searched"] == 0
        reach = await client.post(
            "/v1/verify",
            data={"modality": "signature", "subject_id": subject_id},
            files=[("image", ("p.png", png(probe_index), "image/png"))],
            headers=theirs,
        )
        assert reach.status_code == 404
        assert reach.json()["type"] == "/problems/subject-not-found"
        listing = await client.get(f"/v1/subjects/{subject_id}/references", headers=theirs)
        assert listing.status_code == 404
        ref = enrolled["images"][0]["reference_id"]
        delete = await client.delete(f"/v1/subjects/{subject_id}/references/{ref}", headers=theirs)
        assert delete.status_code == 404
        # Same external id in another gallery is another subject.
        assert (await enroll(client, theirs, [probe_index], "w8")).status_code == 201
        mine_now = (await identify(client, mine, png(probe_index), threshold=-1e9)).json()
        assert [c["subject"]["id"] for c in mine_now["candidates"]] == [subject_id]


async def test_older_model_versions_are_reported_stale_never_mixed(
    tmp_path: Path, database_url: str, signature_checkpoint: Path
) -> None:
    version_two = with_version(signature_checkpoint, tmp_path / "v2.safetensors", "2")
    by_digit = digit_indices()
    probe = png(by_digit[9][100])
    async with client_for(
        listing_settings(tmp_path, database_url, signature_checkpoint), ready=True
    ) as client:
        key = default_key(tmp_path)
        enrolled = (await enroll(client, key, [by_digit[9][100], by_digit[9][101]], "w9")).json()
    subject_id = enrolled["subject"]["id"]

    async with client_for(
        listing_settings(tmp_path, database_url, version_two), ready=True
    ) as client:
        verify = await client.post(
            "/v1/verify",
            data={"modality": "signature", "subject_id": subject_id},
            files=[("image", ("p.png", probe, "image/png"))],
            headers=key,
        )
        assert verify.status_code == 409
        assert verify.json()["type"] == "/problems/no-references"
        assert verify.json()["stale_references"] == 2
        found = (await identify(client, key, probe, threshold=-1e9)).json()
        assert (found["unknown"], found["references_searched"], found["stale_references"]) == (
            True,
            0,
            2,
        )
        listed = (await client.get(f"/v1/subjects/{subject_id}/references", headers=key)).json()
        assert [(r["model"]["version"], r["stale"]) for r in listed["items"]] == [("1", True)] * 2

        # Re-enrolling with the new model makes the subject verifiable again.
        again = await client.post(
            "/v1/enroll",
            data={"modality": "signature", "subject_id": subject_id},
            files=[("images", ("p.png", probe, "image/png"))],
            headers=key,
        )
        assert again.status_code == 201, again.text  # same image, new model: no duplicate
        verify = await client.post(
            "/v1/verify",
            data={"modality": "signature", "subject_id": subject_id},
            files=[("image", ("p.png", probe, "image/png"))],
            headers=key,
        )
        assert verify.status_code == 200
        assert (verify.json()["references_compared"], verify.json()["stale_references"]) == (1, 2)
        assert verify.json()["model"]["version"] == "2"


async def test_unknown_references_and_subjects_are_404(
    tmp_path: Path, database_url: str, signature_checkpoint: Path
) -> None:
    async with client_for(
        listing_settings(tmp_path, database_url, signature_checkpoint), ready=True
    ) as client:
        key = default_key(tmp_path)
        enrolled = (await enroll(client, key, [digit_indices()[2][100]], "w2")).json()
        subject_id = enrolled["subject"]["id"]
        nobody = uuid.uuid4()
        response = await client.get(f"/v1/subjects/{nobody}/references", headers=key)
        assert response.json()["type"] == "/problems/subject-not-found"
        response = await client.delete(
            f"/v1/subjects/{subject_id}/references/{uuid.uuid4()}", headers=key
        )
        assert response.status_code == 404
        assert response.json()["type"] == "/problems/reference-not-found"
        response = await client.delete(f"/v1/subjects/{subject_id}/references/nope", headers=key)
        assert response.json()["type"] == "/problems/validation-error"
        listed = (await client.get(f"/v1/subjects/{subject_id}/references", headers=key)).json()
        assert [r["id"] for r in listed["items"]] == [enrolled["images"][0]["reference_id"]]
        assert listed["items"][0]["stale"] is False


async def test_concurrent_enrolments_through_two_processes_all_land_in_every_matrix(
    tmp_path: Path, database_url: str, signature_checkpoint: Path
) -> None:
    settings = listing_settings(tmp_path, database_url, signature_checkpoint)
    pool = [i for digit in range(10) for i in digit_indices()[digit][100:112]]
    async with (
        client_for(settings, ready=True) as first,
        client_for(settings, ready=True) as second,
    ):
        key = default_key(tmp_path)
        # Warm both matrices first, so they must catch up rather than load from scratch.
        for client in (first, second):
            await identify(client, key, png(pool[0]), threshold=-1e9)
        results = await asyncio.gather(
            *(
                enroll(first if n % 2 else second, key, pool[3 * n : 3 * n + 3], f"c{n}")
                for n in range(12)
            )
        )
        assert [r.status_code for r in results] == [201] * 12
        probe = png(digit_indices()[3][140])
        for client in (first, second):
            response = await identify(client, key, probe, threshold=-1e9, top_k=12)
            assert response.json()["references_searched"] == 36
            want = brute_force(database_url, signature_checkpoint, probe, -1e9, 12)
            assert_same_ranking(served(response.json()), want)
