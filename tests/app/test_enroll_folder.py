"""Bulk enrolment from a folder: one subject per sub-folder, resumable, through the same
enrolment as the API (its checks, its audit trail)."""

from pathlib import Path

import pytest

from app.cli import main
from app.core.config import get_settings
from tests.app.client import client_for
from tests.app.service import ADMIN, blank_page, default_key, files, service_settings
from tests.app.signature_images import digit_indices, png

pytestmark = pytest.mark.anyio


def write_writers(root: Path) -> None:
    for digit in (1, 2, 3):
        folder = root / f"writer-{digit}"
        folder.mkdir(parents=True)
        for n, index in enumerate(digit_indices()[digit][100:103]):
            (folder / f"{n}.png").write_bytes(png(index))
    (root / "writer-3" / "blank.png").write_bytes(blank_page())
    (root / "writer-3" / "notes.txt").write_text("not an image: ignored")
    (root / "no-images").mkdir()


def run_enroll_folder(root: Path, capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["enroll-folder", str(root), "--gallery", "default", "--no-progress"]) == 0
    return capsys.readouterr().out


async def test_a_folder_enrols_once_and_a_second_run_only_skips(
    tmp_path: Path,
    database_url: str,
    signature_checkpoint: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data_dir, root = tmp_path / "data", tmp_path / "writers"
    write_writers(root)
    for name, value in {
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "SIGNATURE_CHECKPOINT": str(signature_checkpoint),
        "FACE_CHECKPOINT": "",
        "DEVICE": "cpu",
    }.items():
        monkeypatch.setenv(f"TWINVERIFY_{name}", value)
    get_settings.cache_clear()
    try:
        first = run_enroll_folder(root, capsys)
        second = run_enroll_folder(root, capsys)
    finally:
        get_settings.cache_clear()
    assert "3 subjects (3 new): 9 images enrolled, 0 already enrolled, 1 rejected" in first
    assert "rejected      1 x no-signature-found" in first
    # idempotent by image digest: nothing is enrolled twice, nothing is lost
    assert "3 subjects (0 new): 0 images enrolled, 9 already enrolled, 1 rejected" in second

    settings = service_settings(data_dir, database_url, signature_checkpoint)
    async with client_for(settings, ready=True) as client:
        key = default_key(data_dir)
        listed = await client.get("/v1/subjects", headers=key)
        verified = await client.post(
            "/v1/verify",
            data={"modality": "signature", "external_id": "writer-3"},
            files=files("image", png(digit_indices()[3][110])),
            headers=key,
        )
        trail = await client.get("/v1/admin/audit", params={"action": "enroll"}, headers=ADMIN)
    assert sorted(s["external_id"] for s in listed.json()["items"]) == [
        "writer-1",
        "writer-2",
        "writer-3",
    ]
    assert verified.status_code == 200, verified.text
    assert verified.json()["references_compared"] == 3
    # the operator's enrolments are in the trail like any other, with no key behind them
    enrolments = trail.json()["items"]
    assert len(enrolments) == 3
    assert {event["api_key_id"] for event in enrolments} == {None}


def test_a_missing_gallery_is_refused_with_its_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    write_writers(tmp_path / "writers")
    monkeypatch.setenv("TWINVERIFY_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("TWINVERIFY_FACE_CHECKPOINT", "")
    get_settings.cache_clear()
    try:
        code = main(["enroll-folder", str(tmp_path / "writers"), "--gallery", "archive"])
    finally:
        get_settings.cache_clear()
    assert code == 2
    assert "no gallery named 'archive'" in capsys.readouterr().err
