"""Checkpoints shipped inside the package: the service's default models."""

from pathlib import Path

WEIGHTS_DIR = Path(__file__).resolve().parent / "weights"
SIGNATURE_CHECKPOINT = WEIGHTS_DIR / "signature-cedar-v1.safetensors"
