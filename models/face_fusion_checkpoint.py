"""dlib's and SFace's released weights fused into one face checkpoint (``face_fusion``).

Both weight files are read from the packages that distribute them and checked
(:mod:`models.dlib_checkpoint`, :mod:`models.sface_checkpoint`); the checkpoint records
both digests. ``sface_weight`` is SFace's share of the squared distance, chosen on the LFW
folds in ``shared/`` (the model card says how). As with dlib's model, thresholds and
figures come from a calibration file, bound to both weight files by their SHA-256.
"""

import hashlib
from pathlib import Path

from models.bundled import WEIGHTS_DIR
from models.checkpoint import build_model, describe, save_checkpoint
from models.dlib_checkpoint import installed_dlib_weights
from models.errors import CheckpointError
from models.imported_weights import carry_calibration, import_once
from models.networks import EncoderSpec
from models.networks.dlib_weights import dlib_state_dict, read_dlib_file
from models.networks.face_fusion import CANVAS_HEIGHT, CANVAS_WIDTH, FusedFaceNet
from models.networks.sface_weights import read_sface_file, sface_state_dict
from models.preprocessing import PreprocessSpec
from models.provenance import code_version
from models.sface_checkpoint import sface_weights
from models.twin import ComparisonSpec

SFACE_WEIGHT = 0.4
DIGEST_KEYS = ("weights_sha256", "sface_weights_sha256")
NAME, VERSION = "dlib-sface-fusion", "1"
PREPROCESSING = PreprocessSpec(
    name="face", height=CANVAS_HEIGHT, width=CANVAS_WIDTH, face_template="dlib+arcface"
)
FUSION_CALIBRATION = WEIGHTS_DIR / "face-dlib-sface-fusion-v1.json"


def encoder_spec(sface_weight: float = SFACE_WEIGHT) -> EncoderSpec:
    return EncoderSpec(
        name="face_fusion", embedding_size=256, in_channels=3, sface_weight=sface_weight
    )


def import_fusion_checkpoint(
    out: Path,
    dat_file: Path | None = None,
    onnx_file: Path | None = None,
    sface_weight: float = SFACE_WEIGHT,
    calibration: Path | None = FUSION_CALIBRATION,
) -> Path:
    """Write the fused checkpoint to ``out`` (the installed packages' files by default)."""
    dat_file = dat_file or installed_dlib_weights()
    onnx_file = onnx_file or sface_weights()
    dlib_data, sface_data = read_dlib_file(dat_file), read_sface_file(onnx_file)
    encoder, comparison = encoder_spec(sface_weight), ComparisonSpec(name="euclidean")
    model = build_model(encoder, comparison).eval()
    fused = model.encoder
    assert isinstance(fused, FusedFaceNet)
    fused.dlib.load_state_dict(dlib_state_dict(dat_file, dlib_data))
    fused.sface.load_state_dict(sface_state_dict(onnx_file, sface_data))
    metadata = describe(
        model,
        name=NAME,
        version=VERSION,
        modality="face",
        encoder=encoder,
        comparison=comparison,
        preprocessing=PREPROCESSING,
        metrics={
            "imported_from": f"{dat_file.name} (dlib, CC0) + {onnx_file.name} (SFace, Apache-2.0)",
            "weights_sha256": hashlib.sha256(dlib_data).hexdigest(),
            "sface_weights_sha256": hashlib.sha256(sface_data).hexdigest(),
            "training": "none: both networks' released weights, ported unchanged and fused",
        },
        code_version=code_version(),
    )
    if calibration is not None and calibration.is_file():
        metadata = carry_calibration(metadata, calibration, DIGEST_KEYS)
    elif calibration is not None:
        raise CheckpointError(f"{calibration} is missing: import with calibration=None")
    save_checkpoint(out, model, metadata)
    return out


def ensure_fusion_checkpoint(out: Path) -> Path:
    """The fused checkpoint at ``out``, imported first if it is not there yet."""
    return import_once(out, import_fusion_checkpoint, "dlib's and SFace's weights")
