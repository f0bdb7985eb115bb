"""The signature encoder's pooling: global average forgets where strokes lie, the grid keeps it."""

from pathlib import Path
from typing import Literal

import pytest
import torch

from models.checkpoint import load_checkpoint
from models.networks import EncoderSpec, build_encoder
from models.networks.signature_cnn import GRID, LOCAL_GRID
from models.preprocessing import PreprocessSpec
from models.twin import ComparisonSpec
from tests.helpers import save_untrained_checkpoint


def round_tripped(tmp_path: Path, spec: EncoderSpec) -> EncoderSpec:
    """The encoder spec as a checkpoint saved with it reads it back."""
    path = tmp_path / f"{spec.pooling}.safetensors"
    preprocessing = PreprocessSpec(name="signature", height=150, width=220)
    save_untrained_checkpoint(path, spec, ComparisonSpec(name="euclidean"), preprocessing)
    return load_checkpoint(path).metadata.encoder


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
    assert round_tripped(tmp_path, spec).pooling == "grid"
    # Checkpoints written before the option existed read as average pooling.
    assert EncoderSpec.model_validate({"name": "signature_cnn"}).pooling == "average"


def test_local_descriptors_compare_a_signature_part_by_part(tmp_path: Path) -> None:
    """Each of the 3x4 cells is its own unit descriptor scaled by 1/sqrt(12): the squared
    distance of two embeddings is the mean of the cells' squared distances."""
    torch.manual_seed(0)
    spec = EncoderSpec(name="signature_cnn", embedding_size=96, width=8, pooling="local")
    encoder = build_encoder(spec).eval()
    cells = LOCAL_GRID[0] * LOCAL_GRID[1]
    with torch.no_grad():
        a, b = encoder(torch.rand(2, 1, 150, 220)).unbind(0)
    per_cell_a, per_cell_b = (x.view(cells, -1) * cells**0.5 for x in (a, b))
    torch.testing.assert_close(per_cell_a.norm(dim=1), torch.ones(cells))
    torch.testing.assert_close(a.norm(), torch.tensor(1.0))
    part_by_part = ((per_cell_a - per_cell_b) ** 2).sum(dim=1).mean()
    torch.testing.assert_close(((a - b) ** 2).sum(), part_by_part)
    # strokes that change places change the parts they left and reached
    page, swapped = _swapped_pages()
    with torch.no_grad():
        moved = float((encoder(page) - encoder(swapped)).norm())
        drawn = float((encoder(page) - encoder(torch.zeros_like(page))).norm())
    assert moved > 0.05 * drawn  # measured: 0.098
    with pytest.raises(ValueError, match="multiple of 12"):
        EncoderSpec(name="signature_cnn", embedding_size=100, pooling="local")
    assert round_tripped(tmp_path, spec).pooling == "local"
