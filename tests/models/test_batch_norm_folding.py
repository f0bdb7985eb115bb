"""Folding batch norms into convolutions changes the work, not the result."""

import pytest
import torch
from torch import nn

from models.networks.sface import SFaceNet
from models.serving.batch_norm_folding import fold_batch_norms


def _with_statistics(module: nn.Module) -> nn.Module:
    torch.manual_seed(0)
    for norm in module.modules():
        if isinstance(norm, nn.BatchNorm2d | nn.BatchNorm1d):
            norm.running_mean.uniform_(-0.5, 0.5)
            norm.running_var.uniform_(0.2, 2.0)
            nn.init.uniform_(norm.weight, 0.5, 1.5)
            nn.init.uniform_(norm.bias, -0.2, 0.2)
    return module.eval()


def test_a_folded_network_embeds_as_the_unfolded_one() -> None:
    network = _with_statistics(SFaceNet())
    images = torch.rand(3, 3, 112, 112)
    with torch.inference_mode():
        before = network(images)
    assert fold_batch_norms(network) == 27  # every convolution of SFace has its own
    assert not any(isinstance(m, nn.BatchNorm2d) for m in network.features.modules())
    with torch.inference_mode():
        after = network(images)
    torch.testing.assert_close(after, before, atol=1e-5, rtol=1e-4)


def test_a_convolution_with_a_bias_keeps_it_and_other_layers_are_left_alone() -> None:
    block = nn.Sequential(nn.Conv2d(2, 4, 3, bias=True), nn.ReLU(), nn.BatchNorm2d(4))
    with_bias = _with_statistics(nn.Sequential(nn.Conv2d(2, 4, 3, bias=True), nn.BatchNorm2d(4)))
    images = torch.rand(2, 2, 9, 9)
    with torch.inference_mode():
        expected = with_bias(images)
    assert fold_batch_norms(with_bias) == 1
    with torch.inference_mode():
        torch.testing.assert_close(with_bias(images), expected, atol=1e-5, rtol=1e-4)
    assert fold_batch_norms(_with_statistics(block)) == 0  # a ReLU sits between them


def test_training_mode_is_refused() -> None:
    with pytest.raises(ValueError, match="eval mode"):
        fold_batch_norms(nn.Sequential(nn.Conv2d(1, 1, 1), nn.BatchNorm2d(1)))
