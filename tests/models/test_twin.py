"""The twin network shares one encoder, and every comparison is symmetric."""

import pytest
import torch

from models.checkpoint import build_model
from models.networks import EncoderSpec
from models.twin import ComparisonSpec

SPEC = EncoderSpec(name="tiny_cnn", embedding_size=16, in_channels=1, width=8)


@pytest.mark.parametrize("comparison", ["euclidean", "cosine", "learned_head"])
def test_score_is_exactly_symmetric(comparison: str) -> None:
    torch.manual_seed(0)
    model = build_model(SPEC, ComparisonSpec(name=comparison)).eval()  # type: ignore[arg-type]
    first, second = torch.randn(8, 1, 8, 8), torch.randn(8, 1, 8, 8)
    with torch.no_grad():
        assert torch.equal(model(first, second), model(second, first))


@pytest.mark.parametrize("comparison", ["euclidean", "cosine", "learned_head"])
def test_score_matrix_equals_pair_scores(comparison: str) -> None:
    torch.manual_seed(0)
    model = build_model(SPEC, ComparisonSpec(name=comparison)).eval()  # type: ignore[arg-type]
    a, b = torch.randn(5, 16), torch.randn(7, 16)
    with torch.no_grad():
        matrix = model.comparator.matrix(a, b)
        pairs = model.comparator(a.repeat_interleave(7, 0), b.repeat(5, 1)).view(5, 7)
    torch.testing.assert_close(matrix, pairs, rtol=1e-5, atol=1e-5)


def test_both_branches_use_one_set_of_weights() -> None:
    torch.manual_seed(0)
    model = build_model(SPEC, ComparisonSpec(name="euclidean")).eval()
    encoder_parameters = sum(p.numel() for p in model.encoder.parameters())
    assert sum(p.numel() for p in model.parameters()) == encoder_parameters  # no second copy
    image = torch.randn(4, 1, 8, 8)
    with torch.no_grad():
        assert torch.allclose(
            model(image, image), torch.zeros(4), atol=1e-5
        )  # same input, same side
        first_layer = next(model.encoder.parameters())
        before = model.embed(image).clone()
        first_layer.add_(0.5)
        after = model.embed(image)
        # one change of the shared weights moves both branches identically
        assert not torch.allclose(before, after)
        assert torch.allclose(model(image, image), torch.zeros(4), atol=1e-5)


def test_gradients_from_both_branches_reach_the_shared_encoder() -> None:
    torch.manual_seed(0)
    model = build_model(SPEC, ComparisonSpec(name="euclidean")).train()
    first, second = torch.randn(4, 1, 8, 8), torch.randn(4, 1, 8, 8)
    model(first, second).sum().backward()
    gradient_both = next(model.encoder.parameters()).grad.clone()  # type: ignore[union-attr]
    model.zero_grad()
    model.embed(first).sum().backward()
    assert gradient_both is not None
    assert not torch.allclose(gradient_both, next(model.encoder.parameters()).grad)


def test_cosine_embeddings_are_unit_length() -> None:
    model = build_model(SPEC, ComparisonSpec(name="cosine")).eval()
    with torch.no_grad():
        norms = model.embed(torch.randn(6, 1, 8, 8)).norm(dim=1)
    torch.testing.assert_close(norms, torch.ones(6))


@pytest.mark.parametrize(
    ("spec", "shape"),
    [
        (
            EncoderSpec(name="signature_cnn", embedding_size=64, in_channels=1, width=8),
            (2, 1, 150, 220),
        ),
        (EncoderSpec(name="resnet", embedding_size=128, in_channels=3), (2, 3, 112, 112)),
        (EncoderSpec(name="resnet", embedding_size=32, in_channels=1), (2, 1, 112, 92)),
    ],
)
def test_encoders_produce_the_configured_embedding_size(
    spec: EncoderSpec, shape: tuple[int, ...]
) -> None:
    model = build_model(spec, ComparisonSpec(name="euclidean")).eval()
    with torch.no_grad():
        assert model.embed(torch.randn(*shape)).shape == (shape[0], spec.embedding_size)
