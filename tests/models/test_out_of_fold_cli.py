"""``twinverify evaluate-folds`` and ``calibrate-out-of-fold`` on real fold checkpoints."""

import json
from pathlib import Path

import numpy as np
import pytest

from app.cli import main
from models.checkpoint import read_metadata
from tests.helpers import write_digit_folders
from tests.models.test_cli import CONFIG


@pytest.fixture(scope="module")
def folds(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Two fold models of one recipe: 10 digits, 3 held out by each, disjoint."""
    base = tmp_path_factory.mktemp("folds")
    root = write_digit_folders(base / "digits", per_class=10)
    paths = []
    for fold in (0, 1):
        config = base / f"fold{fold}.toml"
        config.write_text(CONFIG.format(out=base / f"fold{fold}", root=root, epochs=1))
        arguments = ["train", "--config", str(config), "--no-progress"]
        assert main([*arguments, "--set", f"data.fold={fold}"]) == 0
        paths.append(base / f"fold{fold}" / "best.safetensors")
    return paths


def _held_out(path: Path) -> set[str]:
    provenance = read_metadata(path).provenance
    assert provenance is not None
    return set(provenance.validation_names)


def test_every_fold_scores_only_its_own_held_out_identities(
    folds: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert not _held_out(folds[0]) & _held_out(folds[1])
    out = tmp_path / "folds.json"
    arguments = ["evaluate-folds", "--folds", *map(str, folds), "--references", "1", "5"]
    assert main([*arguments, "--out", str(out)]) == 0
    report = json.loads(out.read_text())
    assert [fold["identities"] for fold in report["folds"]] == [3, 3]
    for fold in report["folds"]:
        # 3 identities x 10 draws x (10 - k) questioned genuine images, 6 strangers' 60 each
        assert [row["trials"] for row in fold["table"]] == [
            {"genuine": 3 * 10 * (10 - k), "random": 3 * 10 * 20} for k in (1, 5)
        ]
        assert all(row["cllr"]["random"] > 0 for row in fold["table"])
    for index, mean in enumerate(report["mean"]):
        rows = [fold["table"][index] for fold in report["folds"]]
        assert mean["eer"]["random"] == pytest.approx(np.mean([r["eer"]["random"] for r in rows]))
        assert mean["cllr"]["random"] == pytest.approx(np.mean([r["cllr"]["random"] for r in rows]))
        # Each fold is judged by thresholds set on the other fold, at every reported FAR.
        moved = [r["transferred"]["random"] for r in rows]
        assert [point["target_far"] for point in moved[0]] == [1e-2, 1e-3]
        assert mean["transferred"]["random"][0]["frr"] == pytest.approx(
            np.mean([m[0]["frr"] for m in moved])
        )
        assert all(0.0 <= m[0]["far"] <= 1.0 for m in moved)
    assert report["pooled"][1]["trials"] == {"genuine": 2 * 3 * 10 * 5, "random": 2 * 3 * 10 * 20}
    printed = capsys.readouterr().out
    assert "2 folds, 6 held-out identities" in printed
    assert "mean       5  random" in printed


def test_a_fold_given_twice_is_not_cross_validation(
    folds: list[Path], capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["evaluate-folds", "--folds", str(folds[0]), str(folds[0])]) == 2
    assert "the folds are not disjoint" in capsys.readouterr().err


def test_calibrate_out_of_fold_writes_pooled_thresholds_and_evidence(
    folds: list[Path], tmp_path: Path
) -> None:
    out = tmp_path / "shipped.safetensors"
    arguments = ["calibrate-out-of-fold", "--checkpoint", str(folds[0]), "--folds"]
    code = main([*arguments, *map(str, folds), "--references", "3", "--out", str(out)])
    assert code == 0
    before, after = read_metadata(folds[0]), read_metadata(out)
    facts = after.metrics["out_of_fold_calibration"]
    assert facts["identities"] == 6
    assert facts["references"] == 3
    assert facts["trials"] == 2 * 3 * 10 * (7 + 20)  # every fold's genuine and random trials
    point = after.thresholds["far_1e-02"]
    assert (point.positives, point.negatives) == (2 * 3 * 10 * 7, 2 * 3 * 10 * 20)
    assert after.thresholds != before.thresholds
    evidence = after.likelihood_ratio
    assert evidence is not None
    assert evidence.references == 3
    assert (evidence.target_trials, evidence.non_target_trials) == (420, 1200)
    assert evidence.slope > 0
    assert after.metrics["validation"] == before.metrics["validation"]  # the rest is kept


def test_out_of_fold_scores_calibrate_only_a_model_of_their_recipe(
    folds: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.toml"
    config = CONFIG.format(out=tmp_path / "other", root=tmp_path / "d", epochs=1)
    other.write_text(config.replace("width = 8", "width = 4"))
    write_digit_folders(tmp_path / "d", per_class=10)
    assert main(["train", "--config", str(other), "--no-progress"]) == 0
    shipped = tmp_path / "other" / "best.safetensors"
    arguments = ["calibrate-out-of-fold", "--checkpoint", str(shipped), "--folds"]
    code = main([*arguments, *map(str, folds), "--out", str(tmp_path / "x.safetensors")])
    assert code == 2
    assert "its encoder differs" in capsys.readouterr().err


def test_calibrate_out_of_fold_with_the_adapted_rule_ships_it(
    folds: list[Path], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Thresholds set on mean-minus-spread scores ship with that rule and the shipped
    fold's own prior spread (its held-out identities' mean genuine-pair score)."""
    out = tmp_path / "adapted.safetensors"
    arguments = ["calibrate-out-of-fold", "--checkpoint", str(folds[0]), "--folds"]
    rule = ["--aggregation", "mean_minus_spread", "--references", "3"]
    published = ["--name", "digits-adapted", "--version", "8"]
    assert main([*arguments, *map(str, folds), *rule, *published, "--out", str(out)]) == 0
    assert (read_metadata(out).name, read_metadata(out).version) == ("digits-adapted", "8")
    assert read_metadata(out).training == read_metadata(folds[0]).training  # as trained
    scoring = read_metadata(out).reference_scoring
    assert scoring.rule == "mean_minus_spread"
    assert scoring.prior_spread is not None
    assert scoring.prior_spread < 0  # a negative distance between two genuine digits
    plain = tmp_path / "plain.safetensors"
    assert main([*arguments, *map(str, folds), "--references", "3", "--out", str(plain)]) == 0
    assert read_metadata(plain).reference_scoring.rule == "max"
    # the stored reference table is rescored by the shipped rule; without a change it stays
    assert {row["aggregation"] for row in read_metadata(out).metrics["references"]} == {
        "mean_minus_spread"
    }
    unchanged = read_metadata(folds[0]).metrics["references"]
    assert read_metadata(plain).metrics["references"] == unchanged
    # the same trials scored two ways: the thresholds differ
    adapted_point = read_metadata(out).thresholds["far_1e-02"].threshold
    assert adapted_point != read_metadata(plain).thresholds["far_1e-02"].threshold
    capsys.readouterr()
    assert main(["evaluate-folds", "--folds", *map(str, folds), "--references", "3"]) == 0
    assert "max over references" in capsys.readouterr().out
    evaluated = ["evaluate-folds", "--folds", *map(str, folds), *rule]
    assert main(evaluated) == 0
    assert "mean_minus_spread over references" in capsys.readouterr().out
