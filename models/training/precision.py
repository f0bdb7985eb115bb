"""Which arithmetic a training step runs in, chosen for the device it runs on.

On CUDA, mixed precision (float16 autocast with a gradient scaler) when ``training.amp``.
On a CPU, bfloat16 autocast only where the CPU multiplies bf16 matrices in hardware (AMX
tiles, Intel Sapphire Rapids and later: several times fp32's speed); an AVX2-only CPU
emulates bf16 tens of times slower than fp32, so there it is never chosen by itself.
"""

from dataclasses import dataclass

import torch

from models.hardware import cpu_has_bf16_matrix_units
from models.training.config import TrainingConfig


@dataclass(frozen=True)
class Precision:
    device_type: str
    dtype: torch.dtype | None  # autocast dtype; None runs in float32

    @property
    def autocast(self) -> torch.autocast:
        return torch.autocast(self.device_type, dtype=self.dtype, enabled=self.dtype is not None)

    @property
    def scales_gradients(self) -> bool:
        """float16 needs a gradient scaler; bfloat16 has float32's range."""
        return self.dtype is torch.float16

    @property
    def name(self) -> str:
        return {None: "fp32", torch.float16: "fp16", torch.bfloat16: "bf16"}[self.dtype]


def select_precision(config: TrainingConfig, device: torch.device) -> Precision:
    if device.type == "cuda":
        return Precision("cuda", torch.float16 if config.amp else None)
    bf16 = config.cpu_precision == "bf16" or (
        config.cpu_precision == "auto" and cpu_has_bf16_matrix_units()
    )
    return Precision(device.type, torch.bfloat16 if bf16 else None)
