"""What the machine offers: the device a model runs on, and whether its CPU multiplies
bf16 matrices in hardware. Training and serving decide from the same facts."""

from typing import Literal

import torch

from models.errors import ConfigError

# How a served model's forward pass may run here (``models/serving/compute_path.py``);
# named in this light module so the service's settings can name them without loading the
# serving stack.
ComputePathName = Literal["fp32", "channels-last", "bf16"]
ComputePathChoice = Literal["auto", "fp32", "channels-last", "bf16"]


def select_device(choice: str) -> torch.device:
    """``auto`` takes the GPU when there is one."""
    if choice == "cuda" and not torch.cuda.is_available():
        raise ConfigError("device 'cuda' requested but no CUDA device is available")
    if choice == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(choice)


def cpu_has_bf16_matrix_units() -> bool:
    """AMX tiles, as PyTorch sees them (``get_cpu_capability`` reports AVX512 at most).

    Where they exist (Intel Sapphire Rapids and later) bf16 matrix work runs several times
    faster than fp32; an AVX2-only CPU emulates bf16 tens of times slower than fp32.
    """
    if torch.backends.cpu.get_cpu_capability() != "AVX512":
        return False
    probe = getattr(torch.cpu, "_is_amx_tile_supported", None)
    return bool(probe()) if probe is not None else False
