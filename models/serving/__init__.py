"""Trained twin networks as the service, the command line and the benchmarks use them."""

from models.hardware import ComputePathChoice
from models.serving.compute_path import ComputePath, choose_compute_path
from models.serving.identity import ModelIdentity
from models.serving.served_model import (
    InputLimits,
    PreparedInput,
    ServedModel,
    load_served_model,
)

__all__ = [
    "ComputePath",
    "ComputePathChoice",
    "InputLimits",
    "ModelIdentity",
    "PreparedInput",
    "ServedModel",
    "choose_compute_path",
    "load_served_model",
]
