"""Folder datasets, identity-disjoint splits, samplers and pairs files."""

import logging
from collections import Counter
from pathlib import Path

import pytest
import torch
from PIL import Image

from models.data.class_batch_sampler import ClassBalancedBatchSampler, mining_labels
from models.data.folder_dataset import load_folder_dataset
from models.data.pair_sampler import BalancedPairSampler
from models.data.pairs_file import read_pairs
from models.data.splits import split_identities
from models.errors import ConfigError, DatasetError
from models.preprocessing import PreprocessSpec, build_preprocessor
from models.training.config import parse_config
from models.training.datasets import load_training_data
from tests.helpers import dataset_path, write_digit_folders

GREY = build_preprocessor(PreprocessSpec(name="grey", height=16, width=16))


def cedar_like(root: Path, writers: int = 4, genuine: int = 4, forged: int = 3) -> Path:
    for writer in range(1, writers + 1):
        folder = root / str(writer)
        folder.mkdir(parents=True)
        for n in range(genuine):
            Image.new("L", (30, 20), color=40 * n).save(folder / f"original_{writer}_{n}.png")
        for n in range(forged):
            Image.new("L", (30, 20), color=200).save(folder / f"forgeries_{writer}_{n}.png")
    return root


def test_folder_dataset_reads_identities_and_forgeries(tmp_path: Path) -> None:
    dataset = load_folder_dataset(cedar_like(tmp_path), GREY)
    images = dataset.images
    assert len(images) == 4 * 7
    assert images.images.shape == (28, 1, 16, 16)
    assert images.identity_names == ["1", "2", "3", "4"]
    assert int(images.is_forgery.sum()) == 12
    assert all(
        ("forgeries_" in p) == bool(f) for p, f in zip(images.paths, images.is_forgery, strict=True)
    )


def test_only_the_named_identities_are_read(tmp_path: Path) -> None:
    images = load_folder_dataset(cedar_like(tmp_path), GREY, identities={"1", "3"}).images
    assert images.identity_names == ["1", "3"]
    assert len(images) == 2 * 7


def test_unreadable_images_are_skipped_with_a_warning_and_counted(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    root = cedar_like(tmp_path)
    (root / "1" / "original_1_9.png").write_bytes(b"\x89PNG\r\n\x1a\n not really")
    (root / "2" / "original_2_9.png").write_bytes(b"")
    valid = (root / "3" / "original_3_0.png").read_bytes()
    (root / "3" / "original_3_9.png").write_bytes(valid[: len(valid) // 2])  # truncated
    with caplog.at_level(logging.WARNING):
        dataset = load_folder_dataset(root, GREY)
    assert len(dataset.images) == 28
    assert sorted(s.path for s in dataset.images.skipped) == [
        "1/original_1_9.png",
        "2/original_2_9.png",
        "3/original_3_9.png",
    ]
    assert sum("skipping" in record.message for record in caplog.records) == 3


def test_content_hash_tracks_bytes_and_names(tmp_path: Path) -> None:
    root = cedar_like(tmp_path / "a")
    first = load_folder_dataset(root, GREY).content_hash
    assert load_folder_dataset(root, GREY).content_hash == first
    Image.new("L", (30, 20), color=7).save(root / "1" / "original_1_0.png")
    assert load_folder_dataset(root, GREY).content_hash != first


def test_empty_or_missing_root_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="not a directory"):
        load_folder_dataset(tmp_path / "missing", GREY)
    with pytest.raises(DatasetError, match="no images"):
        load_folder_dataset(tmp_path, GREY)


def test_split_is_identity_disjoint_deterministic_and_non_empty() -> None:
    names = [f"id{i}" for i in range(50)] * 3
    train, validation = split_identities(names, 0.2, seed=7)
    assert not set(train) & set(validation)
    assert set(train) | set(validation) == set(names)
    assert len(validation) == 10
    assert split_identities(names, 0.2, seed=7) == (train, validation)
    assert split_identities(names, 0.2, seed=8) != (train, validation)
    assert len(split_identities(["a", "b"], 0.01, seed=0)[1]) == 1


def test_folds_cross_validate_every_identity_exactly_once() -> None:
    names = [f"id{i}" for i in range(44)]
    held_out = [split_identities(names, 0.25, seed=0, fold=k)[1] for k in range(4)]
    assert all(len(block) == 11 for block in held_out)
    assert sorted(name for block in held_out for name in block) == sorted(names)
    assert held_out[0] == split_identities(names, 0.25, seed=0)[1]  # fold 0 is the default
    train, validation = split_identities(names, 0.25, seed=0, fold=2)
    assert not set(train) & set(validation)
    with pytest.raises(ValueError, match="fold 4 is out of range"):
        split_identities(names, 0.25, seed=0, fold=4)


def test_training_data_never_shares_an_identity_between_train_and_validation(
    tmp_path: Path,
) -> None:
    root = write_digit_folders(tmp_path / "digits", per_class=5)
    config = parse_config(
        {
            "data": {"root": str(root), "validation_fraction": 0.3},
            "preprocessing": {"name": "grey", "height": 16, "width": 16},
            "encoder": {"name": "tiny_cnn"},
            "loss": {"name": "contrastive"},
        }
    )
    train, validation, provenance = load_training_data(config)
    assert not set(train.identities) & set(validation.identities)
    assert len(train) + len(validation) == 50
    assert provenance.train_identities == 7
    assert provenance.validation_identities == 3
    assert len(provenance.content_sha256) == 64


def test_extra_roots_only_train_under_their_folder_name(tmp_path: Path) -> None:
    # Both datasets name their writers 1, 2, 3, ...: the extra ones must not merge with them.
    root = cedar_like(tmp_path / "cedar", writers=4)
    extra = cedar_like(tmp_path / "bengali", writers=3, forged=2)
    config = parse_config(
        {
            "data": {"root": str(root), "extra_roots": [str(extra)], "validation_fraction": 0.25},
            "preprocessing": {"name": "grey", "height": 16, "width": 16},
            "encoder": {"name": "tiny_cnn"},
            "loss": {"name": "contrastive"},
        }
    )
    train, validation, provenance = load_training_data(config)
    assert len(validation.identity_names) == 1
    assert validation.identity_names[0] in {"1", "2", "3", "4"}
    extra_names = {name for name in train.identity_names if name.startswith("bengali/")}
    assert extra_names == {"bengali/1", "bengali/2", "bengali/3"}
    assert len(train.identity_names) == 3 + 3
    assert (
        int(train.is_forgery[[i for i, n in enumerate(train.identities) if n in extra_names]].sum())
        == 6
    )
    # Provenance: folds split the main dataset; the extra one is described beside it.
    assert (provenance.identities, provenance.train_identities) == (4, 6)
    assert provenance.validation_names == validation.identity_names
    [described] = provenance.extra_sources
    assert (described.identities, described.images, described.forgeries) == (3, 18, 6)
    assert len(described.content_sha256) == 64


def test_two_extra_roots_of_one_folder_name_are_refused(tmp_path: Path) -> None:
    root = cedar_like(tmp_path / "cedar")
    a, b = cedar_like(tmp_path / "a" / "set"), cedar_like(tmp_path / "b" / "set")
    config = parse_config(
        {
            "data": {"root": str(root), "extra_roots": [str(a), str(b)]},
            "preprocessing": {"name": "grey", "height": 16, "width": 16},
            "encoder": {"name": "tiny_cnn"},
            "loss": {"name": "contrastive"},
        }
    )
    with pytest.raises(ConfigError, match="two folders are named 'set'"):
        load_training_data(config)


def test_pair_sampler_is_balanced_and_uses_skilled_forgeries() -> None:
    identities = [w for w in "abcd" for _ in range(6)]
    forged = [False] * 4 + [True] * 2
    is_forgery = forged * 4
    sampler = BalancedPairSampler(
        identities, is_forgery, pairs_per_epoch=4000, skilled_fraction=0.5, seed=1
    )
    pairs = list(sampler)
    assert Counter(label for _, _, label in pairs) == {1: 2000, 0: 2000}
    skilled = 0
    for first, second, label in pairs:
        assert first != second
        if label == 1:
            assert identities[first] == identities[second]
            assert not is_forgery[first]
            assert not is_forgery[second]
        else:
            assert not is_forgery[first]
            if is_forgery[second]:
                assert identities[first] == identities[second]
                skilled += 1
            else:
                assert identities[first] != identities[second]
    assert 0.45 < skilled / 2000 < 0.55
    assert list(sampler) == pairs
    sampler.set_epoch(1)
    assert list(sampler) != pairs


def test_class_balanced_batches_hold_m_per_class_plus_forgeries() -> None:
    identity_ids = torch.arange(6).repeat_interleave(8)
    is_forgery = torch.tensor(([False] * 6 + [True] * 2) * 6)
    sampler = ClassBalancedBatchSampler(
        identity_ids,
        is_forgery,
        batch_size=12,
        m_per_class=4,
        batches_per_epoch=5,
        forgeries_per_class=1,
        seed=0,
    )
    batches = list(sampler)
    assert len(batches) == 5
    for batch in batches:
        genuine = [i for i in batch if not is_forgery[i]]
        forged = [i for i in batch if is_forgery[i]]
        counts = Counter(int(identity_ids[i]) for i in genuine)
        assert len(genuine) == 12
        assert set(counts.values()) == {4}
        assert sorted(int(identity_ids[i]) for i in forged) == sorted(counts)
    labels = mining_labels(identity_ids, is_forgery)
    forged_labels = labels[is_forgery]
    assert forged_labels.unique().numel() == forged_labels.numel()
    assert bool((forged_labels > identity_ids.max()).all())


def test_tsv_pairs_resolve_relative_paths_against_root(tmp_path: Path) -> None:
    pairs_file = tmp_path / "pairs.tsv"
    pairs_file.write_text(
        "a\tb\tlabel\tkind\nx/1.png\t/abs/2.png\t1\tgenuine\nx/1.png\ty/3.png\t0\tskilled\n"
    )
    pairs = read_pairs(pairs_file, root=Path("/data"))
    assert pairs[0].a == Path("/data/x/1.png")
    assert pairs[0].b == Path("/abs/2.png")
    assert [p.label for p in pairs] == [1, 0]
    assert pairs[1].kind == "skilled"


def test_malformed_tsv_names_the_line(tmp_path: Path) -> None:
    pairs_file = tmp_path / "pairs.tsv"
    pairs_file.write_text("a\tb\tlabel\tkind\nx\ty\t1\tgenuine\nx\ty\tyes\tgenuine\n")
    with pytest.raises(DatasetError, match=r"pairs.tsv:3: label must be 0 or 1"):
        read_pairs(pairs_file)


def test_lfw_pairs_format(tmp_path: Path) -> None:
    pairs_file = tmp_path / "pairs.txt"
    pairs_file.write_text("2\t1\nAnn\t1\t2\nBob\t1\tCid\t3\nDee\t2\t4\nEve\t1\tFay\t1\n")
    pairs = read_pairs(pairs_file, root=tmp_path)
    assert [(p.label, p.kind) for p in pairs] == [
        (1, "fold1"),
        (0, "fold1"),
        (1, "fold2"),
        (0, "fold2"),
    ]
    assert pairs[1].b == tmp_path / "Cid" / "Cid_0003.jpg"


@pytest.mark.skipif(
    not dataset_path("lfw").is_dir(), reason="../shared/datasets/lfw is not present"
)
def test_real_lfw_pairs_file_has_five_folds_of_600() -> None:
    pairs = read_pairs(dataset_path("lfw") / "pairs.txt", dataset_path("lfw"))
    assert len(pairs) == 3000
    assert Counter(p.kind for p in pairs) == {f"fold{k}": 600 for k in range(1, 6)}
    assert sum(p.label for p in pairs) == 1500
    assert all(p.a.is_file() and p.b.is_file() for p in pairs[:50])
