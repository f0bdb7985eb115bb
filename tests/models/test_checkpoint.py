"""Checkpoints: bit-exact round trip, self-description, and clear refusals."""

import json
import struct
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from models.checkpoint import (
    CheckpointMetadata,
    build_model,
    load_checkpoint,
    read_metadata,
    save_checkpoint,
)
from models.errors import CheckpointError
from models.networks import EncoderSpec
from models.preprocessing import PreprocessSpec
from models.twin import ComparisonSpec

ENCODER = EncoderSpec(name="tiny_cnn", embedding_size=16, in_channels=1, width=8)
COMPARISON = ComparisonSpec(name="learned_head", hidden_size=8)


def metadata(encoder: EncoderSpec = ENCODER) -> CheckpointMetadata:
    return CheckpointMetadata(
        name="unit",
        version="3",
        modality="generic",
        encoder=encoder,
        comparison=COMPARISON,
        preprocessing=PreprocessSpec(name="grey", height=8, width=8),
        embedding_size=encoder.embedding_size,
        score_kind="logit",
    )


def trained_model() -> torch.nn.Module:
    torch.manual_seed(0)
    model = build_model(ENCODER, COMPARISON)
    model.train()
    model.embed(torch.randn(16, 1, 8, 8))  # move batch-norm running statistics off their defaults
    return model.eval()


def test_round_trip_gives_identical_embeddings_and_scores(tmp_path: Path) -> None:
    model = trained_model()
    path = tmp_path / "model.safetensors"
    save_checkpoint(path, model, metadata())
    loaded = load_checkpoint(path)
    images = torch.randn(5, 1, 8, 8)
    with torch.no_grad():
        assert torch.equal(model.embed(images), loaded.model.embed(images))
        assert torch.equal(model(images, images.flip(0)), loaded.model(images, images.flip(0)))
    assert loaded.metadata.encoder == ENCODER
    assert loaded.metadata.version == "3"
    assert not loaded.model.training


def test_file_is_plain_safetensors_with_json_metadata(tmp_path: Path) -> None:
    path = tmp_path / "model.safetensors"
    save_checkpoint(path, trained_model(), metadata())
    raw = path.read_bytes()
    header_size = struct.unpack("<Q", raw[:8])[0]
    header = json.loads(raw[8 : 8 + header_size])
    meta = json.loads(header["__metadata__"]["twinverify"])
    assert meta["encoder"]["name"] == "tiny_cnn"
    assert meta["format_version"] == 1
    assert read_metadata(path).preprocessing.height == 8


def test_unknown_format_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "future.safetensors"
    future = metadata().model_dump()
    future["format_version"] = 99
    save_file({"x": torch.zeros(1)}, str(path), metadata={"twinverify": json.dumps(future)})
    with pytest.raises(CheckpointError, match="format version 99"):
        load_checkpoint(path)


def test_weights_that_do_not_match_the_declared_architecture_are_refused(tmp_path: Path) -> None:
    path = tmp_path / "lying.safetensors"
    save_checkpoint(path, trained_model(), metadata(ENCODER.model_copy(update={"width": 16})))
    with pytest.raises(CheckpointError, match="do not match the declared architecture 'tiny_cnn'"):
        load_checkpoint(path)


def test_a_file_without_metadata_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "bare.safetensors"
    save_file({"x": torch.zeros(1)}, str(path))
    with pytest.raises(CheckpointError, match="no twinverify metadata"):
        load_checkpoint(path)


def test_a_pickle_file_is_never_unpickled(tmp_path: Path) -> None:
    path = tmp_path / "model.pt"
    torch.save(trained_model().state_dict(), path)
    with pytest.raises(CheckpointError, match="not a readable safetensors checkpoint"):
        load_checkpoint(path)


def test_saved_tensors_are_exactly_the_state_dict(tmp_path: Path) -> None:
    model = trained_model()
    path = tmp_path / "model.safetensors"
    save_checkpoint(path, model, metadata())
    stored = load_file(str(path))
    assert stored.keys() == model.state_dict().keys()
