"""The signature encoder's pooling: global average forgets where strokes lie, the grid keeps it."""

from pathlib import Path
from typing import Literal

import pytest
import torch

from models.checkpoint import load_checkpoint
from models.networks import EncoderSpec, build_encoder
from models.networks.signature_cnn import GRID
from models.preprocessing import PreprocessSpec
from models.twin import ComparisonSpec
from tests.helpers import save_untrained_checkpoint


def _swapped_pages() -> tuple[torch.Tensor, torch.Tensor]:
    """Two strokes, then the same two strokes in each other's place. They move by 224 px,
    a multiple of the encoder's total stride (16), and stay farther than its receptive
    field (about 110 px) from the edges and from each other, so every feature they cause
    moves exactly, and nothing else changes."""
    torch.manual_seed(0)
    first, second = torch.rand(12, 12), torch.rand(12, 12)
    page, swapped = torch.zeros(1, 1, 160, 448), torch.zeros(1, 1, 160, 448)
    page[0, 0, 74:86, 112:124], page[0, 0, 74:86, 336:348] = first, second
    swapped[0, 0, 74:86, 112:124], swapped[0, 0, 74:86, 336:348] = second, first
    return page, swapped


@pytest.mark.parametrize(("pooling", "moves"), [("average", False), ("grid", True)])
def test_only_grid_pooling_sees_strokes_change_places(
    pooling: Literal["average", "grid"], moves: bool
) -> None:
    torch.manual_seed(0)
    spec = EncoderSpec(name="signature_cnn", embedding_size=32, width=8, pooling=pooling)
    encoder = build_encoder(spec).eval()
    page, swapped = _swapped_pages()
    with torch.no_grad():
        embedded = encoder(page)
        # Relative to how far the strokes move the page from a blank one (an untrained
        # encoder barely responds to two small strokes at all).
        moved = float((embedded - encoder(swapped)).norm())
        drawn = float((embedded - encoder(torch.zeros_like(page))).norm())
    if moves:
        assert moved > 0.05 * drawn  # measured: 0.11
    else:
        assert moved < 1e-4 * drawn  # measured: 3e-8, float rounding


def test_grid_pooling_feeds_every_cell_to_the_head_and_round_trips(tmp_path: Path) -> None:
    spec = EncoderSpec(name="signature_cnn", embedding_size=32, width=8, pooling="grid")
    encoder = build_encoder(spec)
    assert encoder.head.linear.in_features == 8 * 8 * GRID[0] * GRID[1]
    path = tmp_path / "grid.safetensors"
    save_untrained_checkpoint(
        path,
        spec,
        ComparisonSpec(name="euclidean"),
        PreprocessSpec(name="signature", height=150, width=220),
    )
    assert load_checkpoint(path).metadata.encoder.pooling == "grid"
    # Checkpoints written before the option existed read as average pooling.
    assert EncoderSpec.model_validate({"name": "signature_cnn"}).pooling == "average"
