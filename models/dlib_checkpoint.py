"""dlib's face-recognition weights as a twinverify checkpoint (the untuned face baseline).

Reads ``dlib_face_recognition_resnet_model_v1.dat`` (public domain, CC0, shipped in the
``face_recognition_models`` package) with :mod:`models.networks.dlib_weights` and writes a
self-describing checkpoint: the ``dlib_resnet`` encoder, Euclidean comparison (dlib's) and
the ``face`` pipeline at dlib's 150x150 input (MTCNN detection, alignment to dlib's chip
framing). Thresholds are calibrated separately, on pairs of faces.
"""

from pathlib import Path

from models.checkpoint import build_model, describe, save_checkpoint
from models.networks import EncoderSpec
from models.networks.dlib_resnet import INPUT_SIZE
from models.networks.dlib_weights import dlib_state_dict
from models.preprocessing import PreprocessSpec
from models.provenance import code_version
from models.twin import ComparisonSpec

ENCODER = EncoderSpec(name="dlib_resnet", embedding_size=128, in_channels=3, normalize=False)
PREPROCESSING = PreprocessSpec(name="face", height=INPUT_SIZE, width=INPUT_SIZE)
NAME, VERSION = "dlib-resnet", "1"


def import_dlib_checkpoint(dat_file: Path, out: Path) -> Path:
    """Write the checkpoint for dlib's weights file to ``out``; returns ``out``."""
    comparison = ComparisonSpec(name="euclidean")
    model = build_model(ENCODER, comparison).eval()
    model.encoder.load_state_dict(dlib_state_dict(dat_file))
    metadata = describe(
        model,
        name=NAME,
        version=VERSION,
        modality="face",
        encoder=ENCODER,
        comparison=comparison,
        preprocessing=PREPROCESSING,
        metrics={
            "imported_from": f"{dat_file.name} (dlib, public domain CC0)",
            "training": "none: dlib's released weights, ported unchanged",
        },
        code_version=code_version(),
    )
    save_checkpoint(out, model, metadata)
    return out
