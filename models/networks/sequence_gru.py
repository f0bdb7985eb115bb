"""A recurrent encoder for pen trajectories: a sequence twin's shared half.

A bidirectional GRU reads the feature sequence (``models/online/features.py``); the
padded steps are masked out of the pooling (mean and max over time, concatenated), and a
linear layer maps the pooled state to an L2-normalised embedding, so signatures of any
length are compared as fixed-size vectors (exact 1:N search over SQL rows works unchanged).
"""

import torch
import torch.nn.functional as F
from torch import nn


class SequenceGRU(nn.Module):
    def __init__(
        self, features: int, embedding_size: int = 128, hidden: int = 128, layers: int = 2
    ) -> None:
        super().__init__()
        self.gru = nn.GRU(
            features, hidden, num_layers=layers, batch_first=True, bidirectional=True, dropout=0.1
        )
        self.head = nn.Linear(4 * hidden, embedding_size)

    def forward(self, sequences: torch.Tensor, lengths: torch.Tensor) -> torch.Tensor:
        """``(B, T, F)`` padded sequences and their ``(B,)`` lengths -> ``(B, D)``."""
        packed = nn.utils.rnn.pack_padded_sequence(
            sequences, lengths.cpu(), batch_first=True, enforce_sorted=False
        )
        states, _ = self.gru(packed)
        padded, _ = nn.utils.rnn.pad_packed_sequence(
            states, batch_first=True, total_length=sequences.shape[1]
        )
        steps = torch.arange(sequences.shape[1], device=sequences.device)
        mask = (steps[None, :] < lengths[:, None].to(sequences.device)).unsqueeze(-1)
        mean = (padded * mask).sum(1) / mask.sum(1).clamp(min=1)
        peak = padded.masked_fill(~mask, float("-inf")).max(1).values
        return F.normalize(self.head(torch.cat([mean, peak], dim=1)), dim=1)


def pad(sequences: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    """Sequences of ``(T_i, F)`` -> ``(B, max T, F)`` zero-padded, and their lengths."""
    lengths = torch.tensor([len(s) for s in sequences])
    return nn.utils.rnn.pad_sequence(sequences, batch_first=True), lengths
