"""``twinverify train`` / ``evaluate`` end to end on real image files."""

import json
from pathlib import Path

import pytest
import torch
from PIL import Image
from safetensors import safe_open

from app.cli import main
from models.checkpoint import (
    load_checkpoint,
    read_metadata,
)
from models.data.pairs_file import read_pairs
from models.networks import EncoderSpec
from models.preprocessing import PreprocessSpec
from models.twin import ComparisonSpec
from tests.helpers import dataset_path, save_untrained_checkpoint, write_digit_folders

CONFIG = """
name = "cli-digits"
version = "7"
seed = 0
output_dir = "{out}"
[data]
root = "{root}"
validation_fraction = 0.3
[preprocessing]
name = "grey"
height = 16
width = 16
[encoder]
name = "tiny_cnn"
embedding_size = 64
width = 8
[loss]
name = "triplet"
mining = "batch_hard"
[training]
epochs = {epochs}
batch_size = 12
m_per_class = 4
steps_per_epoch = 5
patience = 10
"""


def evaluate(run: Path, pairs: Path, root: Path, *extra: str) -> int:
    checkpoint = run / "run" / "best.safetensors"
    return main(
        [
            "evaluate",
            "--checkpoint",
            str(checkpoint),
            "--pairs",
            str(pairs),
            "--root",
            str(root),
            *extra,
        ]
    )


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    base = tmp_path_factory.mktemp("cli")
    root = write_digit_folders(base / "digits", per_class=10)
    (base / "run.toml").write_text(CONFIG.format(out=base / "run", root=root, epochs=2))
    assert main(["train", "--config", str(base / "run.toml"), "--no-progress"]) == 0
    return base


def test_train_writes_checkpoint_state_and_metrics(trained_run: Path) -> None:
    run = trained_run / "run"
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [r["epoch"] for r in records] == [1, 2]
    assert all(0 <= r["val_eer"] <= 1 and r["train_loss"] > 0 for r in records)
    metadata = read_metadata(run / "best.safetensors")
    assert metadata.name == "cli-digits"
    assert metadata.version == "7"
    assert metadata.provenance is not None
    assert metadata.provenance.validation_identities == 3
    assert metadata.provenance.images == 100
    assert metadata.provenance.skipped_images == 0
    assert set(metadata.thresholds) == {"eer", "far_5e-02", "far_1e-02", "far_1e-03", "far_1e-04"}
    assert metadata.training["loss"]["mining"] == "batch_hard"
    assert metadata.metrics["validation"]["pairs"] > 0
    assert (run / "last.safetensors").is_file()


def test_checkpoint_names_its_validation_identities_and_reports_reference_counts(
    trained_run: Path,
) -> None:
    metadata = read_metadata(trained_run / "run" / "best.safetensors")
    assert metadata.provenance is not None
    names = metadata.provenance.validation_names
    assert len(names) == 3
    assert all(name.startswith("digit") for name in names)
    table = metadata.metrics["references"]
    assert [row["references"] for row in table] == [1, 3, 5]
    # 10 images per digit, 10 draws: 10 - k questioned genuine, 20 strangers per draw
    assert [row["trials"] for row in table] == [
        {"genuine": 3 * 10 * (10 - k), "random": 3 * 10 * 20} for k in (1, 3, 5)
    ]
    assert all(set(row["eer"]) == {"random"} for row in table)


def test_pairs_and_evaluate_references_use_the_validation_identities(
    trained_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint = str(trained_run / "run" / "best.safetensors")
    pairs_file = tmp_path / "validation.tsv"
    assert main(["pairs", "--checkpoint", checkpoint, "--out", str(pairs_file)]) == 0
    pairs = read_pairs(pairs_file, trained_run / "digits")
    names = set(read_metadata(Path(checkpoint)).provenance.validation_names)  # type: ignore[union-attr]
    assert len(pairs) == 30 * 29 // 2  # every pair of the 3 x 10 held-out images
    assert sum(pair.label for pair in pairs) == 3 * 45
    assert {pair.a.parent.name for pair in pairs} | {pair.b.parent.name for pair in pairs} == names
    assert all(pair.a.is_file() and pair.b.is_file() for pair in pairs)

    table_file = tmp_path / "references.json"
    code = main(
        [
            "evaluate-references",
            "--checkpoint",
            checkpoint,
            "--references",
            "1",
            "5",
            "--out",
            str(table_file),
        ]
    )
    assert code == 0
    table = json.loads(table_file.read_text())
    assert [row["references"] for row in table] == [1, 5]
    # the table at k=1 is the one the trainer stored for the same draws
    stored = read_metadata(Path(checkpoint)).metrics["references"][0]
    assert table[0]["eer"] == pytest.approx(stored["eer"])
    printed = capsys.readouterr().out
    assert "3 validation identities, 30 images" in printed
    assert "   5  random" in printed


def test_evaluate_references_on_every_identity_of_a_dataset_never_trained_on(
    trained_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    checkpoint = str(trained_run / "run" / "best.safetensors")
    other = write_digit_folders(tmp_path / "other-digits", per_class=8, classes=6)
    table_file = tmp_path / "unseen.json"
    arguments = ["evaluate-references", "--checkpoint", checkpoint, "--references", "1"]
    code = main([*arguments, "--root", str(other), "--all-identities", "--out", str(table_file)])
    assert code == 0
    assert "6 unseen identities, 48 images" in capsys.readouterr().out
    [row] = json.loads(table_file.read_text())
    assert row["trials"]["genuine"] == 6 * 10 * 7  # identities x draws x questioned images
    # The dataset the model trained on is refused: its writers are not unseen.
    refused = main([*arguments, "--root", str(trained_run / "digits"), "--all-identities"])
    assert refused == 2
    assert "the model trained on this dataset" in capsys.readouterr().err


def test_weight_average_is_shipped_and_survives_resume(trained_run: Path, tmp_path: Path) -> None:
    config = tmp_path / "ema.toml"
    text = CONFIG.format(out=tmp_path / "run", root=trained_run / "digits", epochs=1)
    config.write_text(text.replace("patience = 10", "patience = 10\nema_decay = 0.9"))
    assert main(["train", "--config", str(config), "--no-progress"]) == 0
    state = tmp_path / "run" / "last.safetensors"
    with safe_open(str(state), framework="pt") as handle:
        keys = set(handle.keys())
        raw = {k[len("model.") :]: handle.get_tensor(k) for k in keys if k.startswith("model.")}
        average = {
            k[len("averaged.module.") :]: handle.get_tensor(k)
            for k in keys
            if k.startswith("averaged.module.")
        }
    assert average.keys() == raw.keys()
    shipped = load_checkpoint(tmp_path / "run" / "best.safetensors").model.state_dict()
    weight = "encoder.reduce.0.weight"
    # the checkpoint holds the average, which lags the last step's weights
    assert torch.equal(shipped[weight], average[weight])
    assert not torch.equal(shipped[weight], raw[weight])
    config.write_text(
        text.replace("epochs = 1", "epochs = 2").replace(
            "patience = 10", "patience = 10\nema_decay = 0.9"
        )
    )
    assert main(["train", "--config", str(config), "--resume", str(state), "--no-progress"]) == 0


def test_skilled_calibration_without_forgeries_is_refused_before_training(
    trained_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "skilled.toml"
    text = CONFIG.format(out=tmp_path / "run", root=trained_run / "digits", epochs=1)
    config.write_text(text + '[calibration]\nreferences = 3\nnegatives = "skilled"\n')
    assert main(["train", "--config", str(config), "--no-progress"]) == 2
    assert "validation has no forgeries" in capsys.readouterr().err
    assert not (tmp_path / "run" / "metrics.jsonl").exists()


def test_training_ships_the_adapted_scoring_it_calibrated_on(
    trained_run: Path, tmp_path: Path
) -> None:
    config = tmp_path / "adapted.toml"
    text = CONFIG.format(out=tmp_path / "run", root=trained_run / "digits", epochs=1)
    config.write_text(text + '[calibration]\nreferences = 3\nscoring = "mean_minus_spread"\n')
    assert main(["train", "--config", str(config), "--no-progress"]) == 0
    metadata = read_metadata(tmp_path / "run" / "best.safetensors")
    scoring = metadata.reference_scoring
    assert scoring.rule == "mean_minus_spread"
    assert scoring.prior_spread is not None
    assert scoring.prior_spread < 0  # a negative distance between two genuine images
    # the stored reference table was scored by the same rule
    assert {row["aggregation"] for row in metadata.metrics["references"]} == {"mean_minus_spread"}
    assert read_metadata(trained_run / "run" / "best.safetensors").reference_scoring.rule == "max"


def test_resume_continues_after_the_last_epoch(trained_run: Path) -> None:
    config = trained_run / "more.toml"
    config.write_text(CONFIG.format(out=trained_run / "run", root=trained_run / "digits", epochs=3))
    assert (
        main(
            [
                "train",
                "--config",
                str(config),
                "--resume",
                str(trained_run / "run" / "last.safetensors"),
                "--no-progress",
            ]
        )
        == 0
    )
    records = [
        json.loads(line)
        for line in (trained_run / "run" / "metrics.jsonl").read_text().splitlines()
    ]
    assert [r["epoch"] for r in records] == [1, 2, 3]


def test_evaluate_prints_writes_report_and_plots(
    trained_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = trained_run / "digits"
    (root / "digit0" / "broken.png").write_bytes(b"broken")
    pairs = ["a\tb\tlabel\tkind"]
    for digit in range(10):
        pairs.append(f"digit{digit}/0.png\tdigit{digit}/1.png\t1\tgenuine")
        pairs.append(f"digit{digit}/2.png\tdigit{(digit + 1) % 10}/2.png\t0\trandom")
        pairs.append(f"digit{digit}/3.png\tdigit{(digit + 3) % 10}/4.png\t0\tother")
    pairs.append("digit0/broken.png\tdigit0/5.png\t1\tgenuine")
    pairs_file = tmp_path / "pairs.tsv"
    pairs_file.write_text("\n".join(pairs) + "\n")
    report_path, plots = tmp_path / "report.json", tmp_path / "plots"
    code = evaluate(trained_run, pairs_file, root, "--out", str(report_path), "--plots", str(plots))
    assert code == 0
    report = json.loads(report_path.read_text())
    summary = report["summary"]
    assert summary["pairs"] == 30
    assert summary["positives"] == 10
    assert set(summary["eer_by_negative_kind"]) == {"random", "other"}
    assert set(summary["tar_at_far"]) == {"1e-02", "1e-03"}
    assert 0 <= summary["eer"] <= 1
    assert report["pairs_skipped"] == 1
    assert list(report["unusable_images"]) == [str(root / "digit0" / "broken.png")]
    assert report["images"] == 51  # each distinct usable image once: 5 per digit + digit0/5
    for name in ("roc.png", "det.png", "scores.png"):
        with Image.open(plots / name) as image:
            assert image.format == "PNG"
            assert image.width > 200
    printed = capsys.readouterr().out
    assert "EER" in printed
    assert "TAR @ FAR 1e-03" in printed
    assert "EER vs random" in printed


def test_bad_config_exits_2_naming_the_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    config = tmp_path / "bad.toml"
    config.write_text(CONFIG.format(out=tmp_path, root=tmp_path, epochs=0))
    assert main(["train", "--config", str(config)]) == 2
    assert "training.epochs" in capsys.readouterr().err


def test_missing_checkpoint_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    pairs = tmp_path / "p.tsv"
    pairs.write_text("a\tb\tlabel\tkind\n")
    assert (
        main(
            ["evaluate", "--checkpoint", str(tmp_path / "none.safetensors"), "--pairs", str(pairs)]
        )
        == 2
    )
    assert "not a readable safetensors checkpoint" in capsys.readouterr().err


@pytest.mark.dataset
@pytest.mark.skipif(
    not dataset_path("lfw").is_dir(), reason="../shared/datasets/lfw is not present"
)
def test_evaluate_scores_the_3000_lfw_pairs_embedding_each_image_once(tmp_path: Path) -> None:
    encoder = EncoderSpec(name="tiny_cnn", embedding_size=64, in_channels=3, width=8)
    comparison = ComparisonSpec(name="cosine")
    checkpoint = tmp_path / "face.safetensors"
    # What is under test is reading LFW's pairs file and embedding each image once, not the
    # face pipeline (its own tests cover it): a plain resize keeps MTCNN's ~20 ms per image
    # out of this test's bill.
    plain = PreprocessSpec(name="rgb", height=32, width=32)
    save_untrained_checkpoint(checkpoint, encoder, comparison, plain, name="lfw-smoke")
    pairs_file = dataset_path("lfw") / "pairs.txt"
    distinct = {p for pair in read_pairs(pairs_file, dataset_path("lfw")) for p in (pair.a, pair.b)}
    assert (
        main(
            [
                "evaluate",
                "--checkpoint",
                str(checkpoint),
                "--pairs",
                str(pairs_file),
                "--root",
                str(dataset_path("lfw")),
                "--out",
                str(tmp_path / "r.json"),
            ]
        )
        == 0
    )
    report = json.loads((tmp_path / "r.json").read_text())
    assert report["summary"]["pairs"] == 3000
    assert report["summary"]["folds"] == 5
    # Each distinct image embedded once, not once per pair: the bound on work.
    assert report["images"] == len(distinct)
    assert load_checkpoint(checkpoint).metadata.name == "lfw-smoke"


def test_pairs_without_negatives_exit_2_with_a_reason(
    trained_run: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pairs = tmp_path / "only_same.tsv"
    pairs.write_text("a\tb\tlabel\tkind\ndigit1/0.png\tdigit1/1.png\t1\tgenuine\n")
    code = evaluate(trained_run, pairs, trained_run / "digits")
    assert code == 2
    assert "need both same (1) and different (0) pairs" in capsys.readouterr().err


def test_validation_without_positive_pairs_is_refused_before_training(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    root = write_digit_folders(tmp_path / "digits", per_class=1)  # one image per identity
    config = tmp_path / "run.toml"
    config.write_text(CONFIG.format(out=tmp_path / "run", root=root, epochs=1))
    assert main(["train", "--config", str(config), "--no-progress"]) == 2
    assert "two genuine images" in capsys.readouterr().err
    assert not (tmp_path / "run" / "metrics.jsonl").exists()


def test_calibrate_sets_thresholds_and_evidence_from_a_labelled_folder(
    trained_run: Path, tmp_path: Path
) -> None:
    out = tmp_path / "calibrated.safetensors"
    checkpoint = str(trained_run / "run" / "best.safetensors")
    root = str(trained_run / "digits")
    assert main(["calibrate", "--checkpoint", checkpoint, "--root", root, "--out", str(out)]) == 0
    metadata = read_metadata(out)
    facts = metadata.metrics["calibration"]
    # every pair of the 100 images: 10 x 45 same-digit pairs, the rest different digits
    assert (facts["positive_pairs"], facts["negative_pairs"]) == (450, 4950 - 450)
    evidence = metadata.likelihood_ratio
    assert evidence is not None
    assert (evidence.target_trials, evidence.non_target_trials) == (450, 4500)
    assert evidence.negatives == "all negatives"
    assert evidence.slope > 0
    assert metadata.thresholds["eer"].positives == 450
