"""POST /v1/enroll/batch: several subjects in one call, each enrolled as a single enroll."""

from pathlib import Path

import httpx
import pytest

from tests.app.client import client_for
from tests.app.service import assert_problem, blank_page, default_key, files, service_settings
from tests.app.signature_images import digit_indices, png

pytestmark = pytest.mark.anyio


def batch(
    images: list[bytes], external_ids: list[str], create: bool = True
) -> tuple[dict[str, object], list[tuple[str, tuple[str, bytes, str]]]]:
    data = {"modality": "signature", "external_ids": external_ids, "create": str(create).lower()}
    return data, files("images", *images)


async def test_a_batch_enrols_each_subject_as_its_own_enroll(
    tmp_path: Path, client: httpx.AsyncClient
) -> None:
    ones, twos, threes = (digit_indices()[d][100:102] for d in (1, 2, 3))
    # interleaved on purpose: images are grouped by the subject named beside them
    images = [png(ones[0]), png(twos[0]), png(ones[1]), png(twos[1]), blank_page()]
    names = ["w1", "w2", "w1", "w2", "w3"]
    key = default_key(tmp_path)
    data, upload = batch(images, names)
    response = await client.post("/v1/enroll/batch", data=data, files=upload, headers=key)
    verified = await client.post(
        "/v1/verify",
        data={"modality": "signature", "external_id": "w2"},
        files=files("image", png(digit_indices()[2][110])),
        headers=key,
    )
    unknown = await client.post(
        "/v1/verify",
        data={"modality": "signature", "external_id": "w3"},
        files=files("image", png(threes[0])),
        headers=key,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert (body["accepted"], body["rejected"]) == (4, 1)
    by_subject = {entry["external_id"]: entry for entry in body["subjects"]}
    assert list(by_subject) == ["w1", "w2", "w3"]  # first appearance order
    for name in ("w1", "w2"):
        enrolled = by_subject[name]["enrolled"]
        assert enrolled["subject_created"] is True
        assert enrolled["accepted"] == 2
        assert [image["filename"] for image in enrolled["images"]] == (
            ["images-0.png", "images-2.png"] if name == "w1" else ["images-1.png", "images-3.png"]
        )
    # the subject whose only image was blank: the problem a single enroll answers, and no
    # subject created for it
    problem = by_subject["w3"]["problem"]
    assert problem["type"] == "no-image-accepted"
    assert [image["reason"] for image in problem["images"]] == ["no-signature-found"]
    assert verified.json()["references_compared"] == 2
    assert_problem(unknown, 404, "subject-not-found")


async def test_a_batch_refuses_what_does_not_fit_together(
    tmp_path: Path, database_url: str, signature_checkpoint: Path
) -> None:
    one = png(digit_indices()[1][100])
    settings = service_settings(tmp_path, database_url, signature_checkpoint, max_enroll_images=2)
    async with client_for(settings, True) as client:
        key = default_key(tmp_path)
        data, upload = batch([one, one], ["w1"])
        mismatched = await client.post("/v1/enroll/batch", data=data, files=upload, headers=key)
        data, upload = batch([one, one, one], ["a", "b", "c"])
        too_many = await client.post("/v1/enroll/batch", data=data, files=upload, headers=key)
        data, upload = batch([blank_page()], ["w9"])
        nothing = await client.post("/v1/enroll/batch", data=data, files=upload, headers=key)
        data, upload = batch([one, png(digit_indices()[2][100])], ["w1", "nobody"], create=False)
        partly = await client.post("/v1/enroll/batch", data=data, files=upload, headers=key)
    assert (
        "one external_ids entry per image"
        in assert_problem(mismatched, 422, "validation-error")["detail"]
    )
    assert "at most 2 images" in assert_problem(too_many, 422, "validation-error")["detail"]
    refused = assert_problem(nothing, 422, "no-image-accepted")
    assert refused["subjects"][0]["problem"]["images"][0]["reason"] == "no-signature-found"
    # without create, unknown subjects are each a subject-not-found; none is created
    assert partly.status_code == 422, partly.text
    assert {s["problem"]["type"] for s in partly.json()["subjects"]} == {"subject-not-found"}
