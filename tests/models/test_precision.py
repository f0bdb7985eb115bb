"""Training precision follows the CPU: bf16 only where AMX multiplies it in hardware."""

import pytest
import torch

from models.networks import EncoderSpec, build_encoder
from models.training.config import TrainingConfig
from models.training.precision import select_precision

CPU = torch.device("cpu")


def machine(monkeypatch: pytest.MonkeyPatch, capability: str, amx: bool) -> None:
    monkeypatch.setattr(torch.backends.cpu, "get_cpu_capability", lambda: capability)
    monkeypatch.setattr(torch.cpu, "_is_amx_tile_supported", lambda: amx)


@pytest.mark.parametrize(
    ("capability", "amx", "expected"),
    [
        ("AVX2", False, "fp32"),  # AMD EPYC / older Intel: bf16 would be emulated
        ("AVX512", False, "fp32"),  # AVX-512 without AMX tiles
        ("AVX512", True, "bf16"),  # Sapphire Rapids and later
    ],
)
def test_auto_takes_bf16_only_with_amx(
    monkeypatch: pytest.MonkeyPatch, capability: str, amx: bool, expected: str
) -> None:
    machine(monkeypatch, capability, amx)
    assert select_precision(TrainingConfig(cpu_precision="auto"), CPU).name == expected


def test_an_explicit_choice_wins_and_cuda_follows_amp(monkeypatch: pytest.MonkeyPatch) -> None:
    machine(monkeypatch, "AVX512", True)
    # The default is fp32 everywhere: the same numbers on every CPU.
    assert select_precision(TrainingConfig(), CPU).name == "fp32"
    assert select_precision(TrainingConfig(cpu_precision="fp32"), CPU).name == "fp32"
    machine(monkeypatch, "AVX2", False)
    assert select_precision(TrainingConfig(cpu_precision="bf16"), CPU).name == "bf16"
    cuda = torch.device("cuda")
    assert select_precision(TrainingConfig(amp=True), cuda).scales_gradients
    assert select_precision(TrainingConfig(amp=False), cuda).name == "fp32"


def test_bf16_autocast_runs_the_convolutions_in_bf16_and_keeps_fp32_weights() -> None:
    encoder = build_encoder(EncoderSpec(name="signature_cnn", embedding_size=8, width=4))
    precision = select_precision(TrainingConfig(cpu_precision="bf16"), CPU)
    images = torch.rand(2, 1, 64, 64).to(memory_format=torch.channels_last)
    with precision.autocast:
        features = encoder.features[0](images)
        embedding = encoder(images)
    assert features.dtype == torch.bfloat16
    embedding.float().sum().backward()
    first = next(encoder.parameters())
    assert first.dtype == torch.float32
    assert first.grad is not None
    assert torch.isfinite(first.grad).all()
