"""Batch normalisation folded into the convolution before it, for inference.

In eval mode a batch norm is a fixed per-channel affine map, so a convolution followed by
one is a single convolution with rescaled weights and a bias: one pass over the
activations instead of two. On SFace (27 convolution + batch-norm pairs, some on 112x112
maps) that pass is a large share of a CPU forward. The result equals the unfolded
network's to float32 rounding (tests: 1e-5), which is why only the fast CPU path does
it and ``fp32``, the path thresholds are calibrated in, does not.
"""

import itertools

import torch
from torch import nn


def fold_batch_norms(module: nn.Module) -> int:
    """Fold every ``Conv2d`` directly followed by a ``BatchNorm2d`` inside an
    ``nn.Sequential`` (the batch norm becomes an identity); returns how many were folded.
    The module must be in eval mode: training would need the batch norms back."""
    if module.training:
        raise ValueError("fold batch norms of a model in eval mode only")
    folded = 0
    for sequential in [m for m in module.modules() if isinstance(m, nn.Sequential)]:
        children = list(sequential.named_children())
        for (_, conv), (name, norm) in itertools.pairwise(children):
            if isinstance(conv, nn.Conv2d) and isinstance(norm, nn.BatchNorm2d):
                _fold(conv, norm)
                setattr(sequential, name, nn.Identity())
                folded += 1
    return folded


@torch.no_grad()
def _fold(conv: nn.Conv2d, norm: nn.BatchNorm2d) -> None:
    assert norm.running_mean is not None
    assert norm.running_var is not None
    scale = torch.rsqrt(norm.running_var + norm.eps)
    if norm.weight is not None:
        scale = scale * norm.weight
    shift = -norm.running_mean * scale
    if norm.bias is not None:
        shift = shift + norm.bias
    if conv.bias is not None:
        shift = shift + conv.bias * scale
    conv.weight.mul_(scale.reshape(-1, 1, 1, 1))
    conv.bias = nn.Parameter(shift)
