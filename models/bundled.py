"""Checkpoints shipped inside the package: the service's default models."""

from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
SIGNATURE_CHECKPOINT = WEIGHTS_DIR / "signature-v3.safetensors"
# The default face model is imported from dlib's and SFace's weights on first start, to
# this file name in the service's data directory (see models.face_fusion_checkpoint).
IMPORTED_FACE_CHECKPOINT = "face-dlib-sface-fusion-v1.safetensors"
