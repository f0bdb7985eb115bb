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
import logging
import os
from pathlib import Path

from models.bundled import WEIGHTS_DIR
from models.checkpoint import CheckpointMetadata, build_model, describe, save_checkpoint
from models.errors import CheckpointError
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

logger = logging.getLogger(__name__)

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
        metadata = _calibrated(metadata, calibration, digest)
    save_checkpoint(out, model, metadata)
    return out


def _calibrated(metadata: CheckpointMetadata, calibration: Path, digest: str) -> CheckpointMetadata:
    shipped = CheckpointMetadata.model_validate_json(calibration.read_text(encoding="utf-8"))
    if shipped.metrics.get("weights_sha256") != digest:
        raise CheckpointError(
            f"{calibration.name} was calibrated for other weights than this {FILE_NAME} "
            f"(sha256 {digest[:12]}...): recalibrate with `twinverify calibrate`"
        )
    if (shipped.encoder, shipped.preprocessing) != (metadata.encoder, metadata.preprocessing):
        raise CheckpointError(f"{calibration.name} describes another pipeline: recalibrate")
    return metadata.model_copy(
        update={"thresholds": shipped.thresholds, "metrics": shipped.metrics}
    )


def ensure_dlib_checkpoint(out: Path) -> Path:
    """The imported checkpoint at ``out``, importing it first if it is not there yet.

    Written under a temporary name and renamed, so replicas starting together on a shared
    volume never read half a file.
    """
    if out.is_file():
        return out
    dat = installed_dlib_weights()
    logger.info("importing dlib's face weights %s -> %s", dat, out)
    partial = out.with_name(f"{out.name}.{os.getpid()}.import")
    import_dlib_checkpoint(dat, partial)
    partial.replace(out)
    return out
