"""How a served model's forward pass runs on the machine it landed on.

``fp32``: float32, the arithmetic every threshold was calibrated in. ``channels-last``:
float32 with NHWC activations, which oneDNN's convolutions run faster on a CPU, and batch
norms folded into their convolutions (same arithmetic, results equal to rounding).
``bf16``: bfloat16 autocast, several times faster only where the CPU has bf16 matrix
units (AMX) and tens of times slower where it emulates them (AVX2); its scores differ
from fp32's, so it is never chosen by itself: a model runs it only when configured to,
after its decisions were checked against fp32's
(``bench/compute_path_check.py``). Checked on an AMX Xeon: faster (1.2x signature, 1.8x
face over channels-last) but TAR@FAR1e-3 moved 0.17 and 0.07 points, past the 0.05 allowed.
"""

from dataclasses import dataclass

import torch

from models.hardware import ComputePathChoice, ComputePathName, cpu_has_bf16_matrix_units
from models.serving.batch_norm_folding import fold_batch_norms
from models.twin import TwinNetwork


@dataclass(frozen=True)
class ComputePath:
    name: ComputePathName
    device_type: str
    # Why this path: shown by /v1/models next to the name.
    reason: str

    def prepare(self, network: TwinNetwork) -> None:
        """Lay the weights out for this path (once, at load; the network in eval mode)."""
        if self.name == "channels-last":
            fold_batch_norms(network)
            network.to(memory_format=torch.channels_last)

    def embed(self, network: TwinNetwork, batch: torch.Tensor) -> torch.Tensor:
        """``float32 (B, C, H, W)`` on the model's device -> ``float32 (B, D)`` on the CPU."""
        if self.name == "channels-last":
            batch = batch.contiguous(memory_format=torch.channels_last)
        with torch.autocast(self.device_type, torch.bfloat16, enabled=self.name == "bf16"):
            embedding = network.embed(batch)
        return embedding.float().cpu()


def choose_compute_path(device: torch.device, choice: ComputePathChoice) -> ComputePath:
    """``auto``: channels-last on a CPU, fp32 on a GPU; bf16 only when asked for."""
    if choice == "auto":
        if device.type == "cpu":
            return ComputePath("channels-last", "cpu", "auto: float32, NHWC convolutions")
        return ComputePath("fp32", device.type, "auto: float32")
    if choice == "bf16" and device.type == "cpu" and not cpu_has_bf16_matrix_units():
        return ComputePath(
            "bf16", "cpu", "configured; this CPU has no bf16 matrix units (slow here)"
        )
    return ComputePath(choice, device.type, "configured")
