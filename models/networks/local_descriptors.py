"""Cell-by-cell descriptors: the embedding as a grid of local, separately normalised parts."""

import math

import torch
import torch.nn.functional as F
from torch import nn


class LocalDescriptorHead(nn.Module):
    """``(B, C, rows, columns) -> (B, rows * columns * cell_size)``, unit length overall.

    Each grid cell gets its own projection (cells see different parts of a signature: the
    first letters, the flourish) to ``cell_size`` numbers, normalised to unit length and
    scaled by ``1 / sqrt(cells)``. The squared Euclidean distance between two embeddings is
    then the mean over cells of the cells' squared distances: every part of the signature
    weighs the same, so a forger who gets the overall shape right still pays for each part
    drawn differently, where one global projection lets a few strong features dominate.
    """

    def __init__(self, channels: int, cells: int, cell_size: int) -> None:
        super().__init__()
        self.cells = cells
        self.cell_size = cell_size
        self.dropout = nn.Dropout(p=0.1)
        self.weight = nn.Parameter(torch.empty(cells, channels, cell_size))
        self.bias = nn.Parameter(torch.zeros(cells, cell_size))
        nn.init.kaiming_uniform_(self.weight.view(cells * channels, cell_size), a=math.sqrt(5))
        self.norm = nn.BatchNorm1d(cells * cell_size)

    def forward(self, feature_map: torch.Tensor) -> torch.Tensor:
        cells = self.dropout(feature_map.flatten(2).transpose(1, 2))  # (B, cells, C)
        projected = torch.einsum("bkc,kcd->bkd", cells, self.weight) + self.bias
        projected = self.norm(projected.flatten(1)).view(-1, self.cells, self.cell_size)
        unit = F.normalize(projected, p=2.0, dim=2) / math.sqrt(self.cells)
        return unit.flatten(1)
