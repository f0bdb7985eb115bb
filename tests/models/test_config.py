"""Training configs: TOML and YAML, and errors that name the offending field."""

from pathlib import Path

import pytest

from models.errors import ConfigError
from models.training.config import load_config, parse_config

MINIMAL = {
    "preprocessing": {"name": "grey", "height": 8, "width": 8},
    "encoder": {"name": "tiny_cnn", "in_channels": 1},
    "loss": {"name": "triplet", "mining": "batch_hard"},
}


def test_toml_and_yaml_give_the_same_config(tmp_path: Path) -> None:
    toml = tmp_path / "run.toml"
    toml.write_text(
        'seed = 3\n[preprocessing]\nname = "grey"\nheight = 8\nwidth = 8\n'
        '[encoder]\nname = "tiny_cnn"\n[loss]\nname = "triplet"\nmining = "batch_hard"\n'
    )
    yaml = tmp_path / "run.yaml"
    yaml.write_text(
        "seed: 3\npreprocessing: {name: grey, height: 8, width: 8}\n"
        "encoder: {name: tiny_cnn}\nloss: {name: triplet, mining: batch_hard}\n"
    )
    assert load_config(toml) == load_config(yaml)
    assert load_config(toml).resolved_comparison.name == "euclidean"


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"loss": {"name": "triplet", "margin": -1}}, "loss.margin"),
        ({"loss": {"name": "focal"}}, "loss.name"),
        ({"encoder": {"name": "tiny_cnn", "embedding_size": 0}}, "encoder.embedding_size"),
        ({"training": {"epochs": "many"}}, "training.epochs"),
        ({"training": {"learning_rate": 0.001, "lr": 1}}, "training.lr"),
        ({"comparison": {"name": "learned_head"}}, "comparison.name"),
        ({"encoder": {"name": "tiny_cnn", "in_channels": 3}}, "encoder.in_channels"),
    ],
)
def test_bad_values_name_their_field(change: dict[str, object], field: str) -> None:
    with pytest.raises(ConfigError, match=field.replace(".", r"\.")):
        parse_config({**MINIMAL, **change})


def test_missing_section_is_named() -> None:
    with pytest.raises(ConfigError, match="loss: Field required"):
        parse_config({k: v for k, v in MINIMAL.items() if k != "loss"})


def test_unreadable_or_malformed_files_are_clear(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read config"):
        load_config(tmp_path / "absent.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("[loss\nname = 1")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(broken)
    wrong = tmp_path / "run.json"
    wrong.write_text("{}")
    with pytest.raises(ConfigError, match=r"must be \.toml, \.yaml or \.yml"):
        load_config(wrong)


def test_shipped_configs_are_valid() -> None:
    for path in sorted(Path(__file__).resolve().parents[2].joinpath("configs").glob("*.toml")):
        assert load_config(path).name


def test_set_overrides_apply_toml_values_on_top_of_the_file(tmp_path: Path) -> None:
    path = tmp_path / "c.toml"
    path.write_text(
        'name = "x"\n[data]\nroot = "d"\n[preprocessing]\nname = "grey"\nheight = 8\nwidth = 8\n'
        '[encoder]\nname = "tiny_cnn"\n[loss]\nname = "contrastive"\n'
    )
    config = load_config(
        path,
        [
            "data.fold=2",
            'data.extra_roots=["a", "b/c"]',
            "training.learning_rate=3e-4",
            "output_dir=runs/elsewhere",  # not TOML: taken as a string
        ],
    )
    assert config.data.fold == 2
    assert config.data.extra_roots == [Path("a"), Path("b/c")]
    assert config.training.learning_rate == 3e-4
    assert config.output_dir == Path("runs/elsewhere")
    with pytest.raises(ConfigError, match=r"expected section\.key=value"):
        load_config(path, ["data.fold"])
    with pytest.raises(ConfigError, match=r"data\.fold: Input should be greater than or equal"):
        load_config(path, ["data.fold=-1"])
    with pytest.raises(ConfigError, match="name is not a section"):
        load_config(path, ["name.inner=1"])
