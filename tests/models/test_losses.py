"""Known-answer tests: embeddings placed at chosen angles, losses computed by hand."""

import math

import pytest
import torch
from torch import nn

from models.losses import LossSpec, build_objective
from models.losses.cosine_mse import CosineMSELoss
from models.twin import ComparisonSpec, TwinNetwork, build_comparator


def unit(*degrees: float) -> torch.Tensor:
    radians = torch.tensor(degrees, dtype=torch.float64) * math.pi / 180
    return torch.stack([radians.cos(), radians.sin()], dim=1).float()


def chord(degrees: float) -> float:
    """Euclidean distance between two unit vectors ``degrees`` apart."""
    return 2 * math.sin(math.radians(degrees) / 2)


def identity_twin(comparison: str) -> TwinNetwork:
    """Encoder = identity, so the 'images' fed in are the embeddings themselves."""
    return TwinNetwork(nn.Identity(), build_comparator(ComparisonSpec(name=comparison), 2))  # type: ignore[arg-type]


def test_contrastive_loss_matches_hand_computation() -> None:
    objective = build_objective(LossSpec(name="contrastive", margin=1.0), "euclidean", 2, 2)
    # positives 60 and 40 deg apart; negatives 30 deg (inside margin 1) and 120 deg (outside).
    # pytorch-metric-learning averages each part over its non-zero pairs, then adds them.
    first, second = unit(0, 0, 0, 0), unit(60, 40, 30, 120)
    labels = torch.tensor([1.0, 1.0, 0.0, 0.0])
    loss = objective.pair_loss(identity_twin("euclidean"), first, second, labels)
    expected = (chord(60) + chord(40)) / 2 + (1.0 - chord(30))
    assert loss.item() == pytest.approx(expected, abs=1e-6)


def test_contrastive_loss_is_zero_when_negatives_clear_the_margin() -> None:
    objective = build_objective(LossSpec(name="contrastive", margin=1.0), "euclidean", 2, 2)
    first, second = unit(0, 0, 0, 0), unit(0, 0, 120, 180)  # negatives at d = 1.732 and 2
    loss = objective.pair_loss(
        identity_twin("euclidean"), first, second, torch.tensor([1.0, 1.0, 0.0, 0.0])
    )
    assert loss.item() == pytest.approx(0.0, abs=1e-6)


def test_triplet_all_triplets_known_answer() -> None:
    objective = build_objective(
        LossSpec(name="triplet", margin=0.2, mining="all"), "euclidean", 2, 2
    )
    embeddings = unit(0, 60, 90)  # A, P share label 0; N has label 1
    loss = objective.label_loss(identity_twin("euclidean"), embeddings, torch.tensor([0, 0, 1]))
    # (A, P, N): 1 - 1.4142 + 0.2 < 0 -> 0;  (P, A, N): 1 - 0.5176 + 0.2 = 0.6824.
    # pytorch-metric-learning averages over the non-zero triplets.
    assert loss.item() == pytest.approx(chord(60) - chord(30) + 0.2, abs=1e-6)


def test_triplet_batch_hard_known_answer() -> None:
    objective = build_objective(
        LossSpec(name="triplet", margin=0.2, mining="batch_hard"), "euclidean", 2, 2
    )
    embeddings = unit(0, 60, 90, 180)
    labels = torch.tensor([0, 0, 1, 1])
    loss = objective.label_loss(identity_twin("euclidean"), embeddings, labels)
    # hardest positive / nearest negative per anchor:
    # A: 1 - 1.4142 + .2 -> 0;  P: 1 - 0.5176 + .2;
    # N1: 1.4142 - 0.5176 + .2;  N2: 1.4142 - 1.7321 + .2 -> 0
    expected = ((chord(60) - chord(30) + 0.2) + (chord(90) - chord(30) + 0.2)) / 2
    assert loss.item() == pytest.approx(expected, abs=1e-6)


def test_semihard_miner_only_returns_semihard_triplets() -> None:
    torch.manual_seed(0)
    objective = build_objective(
        LossSpec(name="triplet", margin=0.5, mining="semihard"), "euclidean", 8, 4
    )
    embeddings = nn.functional.normalize(torch.randn(32, 8), dim=1)
    labels = torch.arange(4).repeat_interleave(8)
    anchors, positives, negatives = objective.miner(embeddings, labels)  # type: ignore[union-attr]
    assert anchors.numel() > 0
    d_ap = (embeddings[anchors] - embeddings[positives]).norm(dim=1)
    d_an = (embeddings[anchors] - embeddings[negatives]).norm(dim=1)
    assert bool((d_an > d_ap).all())
    assert bool((d_an < d_ap + 0.5).all())
    assert bool((labels[anchors] == labels[positives]).all())
    assert bool((labels[anchors] != labels[negatives]).all())


def test_cosine_mse_known_answer() -> None:
    loss = CosineMSELoss(negative_target=0.0)
    first = unit(0, 0)
    second = unit(math.degrees(math.acos(0.6)), math.degrees(math.acos(0.2)))
    value = loss(first, second, torch.tensor([1.0, 0.0]))
    assert value.item() == pytest.approx(((1 - 0.6) ** 2 + (0.2 - 0.0) ** 2) / 2, abs=1e-6)


def test_bce_head_known_answer() -> None:
    twin = identity_twin("learned_head")
    head = twin.comparator.mlp  # type: ignore[union-attr]
    with torch.no_grad():
        for parameter in head.parameters():
            parameter.zero_()
        head[2].bias.fill_(2.0)  # every pair gets logit 2
    objective = build_objective(LossSpec(name="bce_head"), "learned_head", 2, 2)
    loss = objective.pair_loss(twin, unit(0, 0), unit(10, 90), torch.tensor([1.0, 0.0]))
    sigma = 1 / (1 + math.exp(-2.0))
    assert loss.item() == pytest.approx(-(math.log(sigma) + math.log(1 - sigma)) / 2, abs=1e-6)


@pytest.mark.parametrize("name", ["arcface", "cosface"])
def test_angular_margin_makes_the_loss_larger(name: str) -> None:
    torch.manual_seed(0)
    embeddings = nn.functional.normalize(torch.randn(16, 8), dim=1)
    labels = torch.arange(4).repeat(4)
    with_margin = build_objective(
        LossSpec(name=name, margin=0.3 if name == "cosface" else 20.0), "cosine", 8, 4
    )
    without = build_objective(LossSpec(name=name, margin=1e-6), "cosine", 8, 4)
    without.load_state_dict(with_margin.state_dict())  # same class centres
    twin = identity_twin("cosine")
    assert with_margin.label_loss(twin, embeddings, labels).item() > (
        without.label_loss(twin, embeddings, labels)
    )


def test_forgeries_are_excluded_from_margin_softmax_classes() -> None:
    objective = build_objective(LossSpec(name="arcface"), "cosine", 8, 2)
    embeddings = nn.functional.normalize(torch.randn(6, 8), dim=1)
    genuine_only = objective.label_loss(
        identity_twin("cosine"), embeddings[:4], torch.tensor([0, 0, 1, 1])
    )
    with_forgeries = objective.label_loss(
        identity_twin("cosine"), embeddings, torch.tensor([0, 0, 1, 1, 2, 3])
    )
    assert with_forgeries.item() == pytest.approx(genuine_only.item(), abs=1e-6)
