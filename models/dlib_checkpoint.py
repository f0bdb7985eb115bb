"""dlib's face-recognition weights as a twinverify checkpoint: the default face model.

Reads ``dlib_face_recognition_resnet_model_v1.dat`` (public domain, CC0, shipped in the
``face_recognition_models`` package) with :mod:`models.networks.dlib_weights` and writes a
self-describing checkpoint: the ``dlib_resnet`` encoder (embeddings averaged with the
mirror image's), Euclidean comparison (dlib's) and the ``face`` pipeline at dlib's 150x150
input (MTCNN detection, alignment to dlib's chip framing).

The weights are not ours to ship, so the service imports them on first start; what is
ours, the calibrated thresholds and the measured figures, ships as the checkpoint's
metadata in ``models/weights/`` (:data:`DLIB_CALIBRATION`), bound to the weights file by
its SHA-256: thresholds calibrated for other weights are refused.
"""

import hashlib
from pathlib import Path

from models.bundled import WEIGHTS_DIR
from models.checkpoint import build_model, describe, save_checkpoint
from models.errors import CheckpointError
from models.imported_weights import carry_calibration, import_once
from models.networks import EncoderSpec
from models.networks.dlib_resnet import INPUT_SIZE
from models.networks.dlib_weights import (
    FILE_NAME,
    dlib_state_dict,
    installed_dlib_models,
    read_dlib_file,
)
from models.preprocessing import PreprocessSpec
from models.provenance import code_version
from models.twin import ComparisonSpec

ENCODER = EncoderSpec(
    name="dlib_resnet", embedding_size=128, in_channels=3, normalize=False, mirror_average=True
)
PREPROCESSING = PreprocessSpec(name="face", height=INPUT_SIZE, width=INPUT_SIZE)
NAME, VERSION = "dlib-resnet", "1"
# Metadata of the calibrated import: `twinverify import-dlib --uncalibrated`, then
# `twinverify calibrate ... --metadata-json` (see the model card next to it).
DLIB_CALIBRATION = WEIGHTS_DIR / "face-dlib-resnet-v1.json"


def installed_dlib_weights() -> Path:
    """dlib's weights file in the installed ``face_recognition_models`` package."""
    models = installed_dlib_models()
    if models is None or not (models / FILE_NAME).is_file():
        raise CheckpointError(
            "face_recognition_models is not installed: dlib's face weights cannot be imported"
        )
    return models / FILE_NAME


def import_dlib_checkpoint(
    dat_file: Path,
    out: Path,
    calibration: Path | None = DLIB_CALIBRATION,
    mirror_average: bool = True,
) -> Path:
    """Write the checkpoint for dlib's weights file to ``out``; returns ``out``.

    With ``calibration``, its thresholds and figures are carried over, once the weights
    are checked to be the ones they were measured on. ``mirror_average=False`` is the
    plain port (the baseline of the model card).
    """
    data = read_dlib_file(dat_file)
    digest = hashlib.sha256(data).hexdigest()
    comparison = ComparisonSpec(name="euclidean")
    encoder = ENCODER.model_copy(update={"mirror_average": mirror_average})
    model = build_model(encoder, comparison).eval()
    model.encoder.load_state_dict(dlib_state_dict(dat_file, data))
    metadata = describe(
        model,
        name=NAME,
        version=VERSION,
        modality="face",
        encoder=encoder,
        comparison=comparison,
        preprocessing=PREPROCESSING,
        metrics={
            "imported_from": f"{dat_file.name} (dlib, public domain CC0)",
            "weights_sha256": digest,
            "training": "none: dlib's released weights, ported unchanged",
        },
        code_version=code_version(),
    )
    if calibration is not None:
        metadata = carry_calibration(metadata, calibration, ("weights_sha256",))
    save_checkpoint(out, model, metadata)
    return out


def ensure_dlib_checkpoint(out: Path) -> Path:
    """The imported checkpoint at ``out``, importing it first if it is not there yet."""
    return import_once(
        out, lambda path: import_dlib_checkpoint(installed_dlib_weights(), path), "dlib's weights"
    )
