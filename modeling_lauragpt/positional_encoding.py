"""Sinusoidal position tables for the Conformer encoder (ESPnet semantics).

Both tables are non-persistent buffers named ``pe`` with a ``compute_table()`` method: models are built on the
meta device by ``from_pretrained``, so ``LauraGPTPreTrainedModel._init_weights`` refills ``pe`` from
``compute_table()`` (a buffer computed in ``__init__`` would come back as zeros).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from .errors import InvalidInputError

TOO_LONG_FIX = "split the input into shorter clips, or raise max_position_embeddings in the model's config"


def _sinusoids(positions: torch.Tensor, dim: int) -> torch.Tensor:
    """(len(positions), dim) table: sin on even channels, cos on odd ones (Vaswani et al.), in float32."""
    div_term = torch.exp(torch.arange(0, dim, 2, dtype=torch.float32) * -(math.log(10000.0) / dim))
    angles = positions.to(torch.float32)[:, None] * div_term
    table = torch.zeros(len(positions), dim)
    table[:, 0::2] = torch.sin(angles)
    table[:, 1::2] = torch.cos(angles)
    return table


class _PositionTable(nn.Module):
    """Shared part of both encodings: the ``pe`` buffer, its rebuild hook and the length check."""

    def __init__(self, hidden_size: int, max_positions: int, dropout: float):
        super().__init__()
        self.hidden_size, self.max_positions = hidden_size, max_positions
        self.dropout = nn.Dropout(dropout)
        self.register_buffer("pe", self.compute_table(), persistent=False)

    def compute_table(self) -> torch.Tensor:
        raise NotImplementedError

    def _scaled(self, hidden_states: torch.Tensor) -> torch.Tensor:
        """``x * sqrt(d)`` after checking ``x`` fits the table."""
        frames = hidden_states.shape[1]
        if frames > self.max_positions:
            raise InvalidInputError(
                f"The input has {frames} frames but the position table holds {self.max_positions} "
                f"(max_position_embeddings): {TOO_LONG_FIX}."
            )
        return hidden_states * math.sqrt(self.hidden_size)


class LauraGPTSinusoidalPositionalEncoding(_PositionTable):
    """Absolute positions (the paper's encoder; ESPnet ``PositionalEncoding``): ``x * sqrt(d) + pe[:T]``, then dropout."""

    def compute_table(self) -> torch.Tensor:
        """(max_positions, hidden_size) table for positions 0 .. max_positions - 1."""
        return _sinusoids(torch.arange(self.max_positions), self.hidden_size)

    def forward(self, hidden_states: torch.Tensor) -> tuple[torch.Tensor, None]:
        """
        hidden_states : torch.Tensor, shape = (batch, frames, hidden)
        returns : (scaled states with positions added, shape = (batch, frames, hidden), None) -- None stands for
            "no relative embeddings", so both encodings return the same pair
        """
        scaled = self._scaled(hidden_states)
        return self.dropout(scaled + self.pe[: scaled.shape[1]].to(scaled.dtype)), None


class LauraGPTRelPositionalEncoding(_PositionTable):
    """ESPnet "latest" ``RelPositionalEncoding``: ``x * sqrt(d)`` and the embeddings of offsets ``T-1 .. -(T-1)``.

    Offset ``i - j`` (query ``i``, key ``j``) is at index ``T - 1 - (i - j)`` of the returned embeddings, which is what
    ``rel_shift`` in the attention expects.
    """

    def compute_table(self) -> torch.Tensor:
        """(2 * max_positions - 1, hidden_size) table for offsets max-1, ..., 0, ..., -(max-1)."""
        return _sinusoids(torch.arange(self.max_positions - 1, -self.max_positions, -1), self.hidden_size)

    def forward(self, hidden_states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """
        hidden_states : torch.Tensor, shape = (batch, frames, hidden)
        returns : (scaled states, shape = (batch, frames, hidden),
                   offset embeddings, shape = (1, 2 * frames - 1, hidden)), dropout applied to both
        """
        scaled = self._scaled(hidden_states)
        frames, center = scaled.shape[1], self.max_positions - 1
        pos_emb = self.pe[center - frames + 1 : center + frames].to(scaled.dtype)
        return self.dropout(scaled), self.dropout(pos_emb[None])


class LauraGPTLegacyRelPositionalEncoding(_PositionTable):
    """ESPnet/FunASR ``LegacyRelPositionalEncoding`` (``rel_pos_type: legacy``, FunASR's default for Conformer ASR).

    The table holds positions ``max_positions - 1, ..., 1, 0`` (a reversed absolute table) and a ``T``-frame input
    gets its first ``T`` rows, i.e. positions ``max_positions - 1 .. max_positions - T``; ``legacy_rel_shift`` in
    the attention aligns them. Kept only so that FunASR checkpoints trained this way convert exactly.
    """

    def compute_table(self) -> torch.Tensor:
        """(max_positions, hidden_size) table for positions max_positions - 1 down to 0."""
        return _sinusoids(torch.arange(self.max_positions - 1, -1, -1), self.hidden_size)

    def forward(self, hidden_states: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """
        hidden_states : torch.Tensor, shape = (batch, frames, hidden)
        returns : (scaled states, shape = (batch, frames, hidden),
                   position embeddings, shape = (1, frames, hidden)), dropout applied to both
        """
        scaled = self._scaled(hidden_states)
        pos_emb = self.pe[: scaled.shape[1]].to(scaled.dtype)
        return self.dropout(scaled), self.dropout(pos_emb[None])


__all__ = [
    "LauraGPTLegacyRelPositionalEncoding",
    "LauraGPTRelPositionalEncoding",
    "LauraGPTSinusoidalPositionalEncoding",
]
