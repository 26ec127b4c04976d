"""Compact PyTorch networks of the zoo: Linear, MLP, GRU, LSTM, ALSTM, Transformer (Qlib's semantics, own code)."""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn

from core.models.fast_rnn import GRU


class LinearNet(nn.Module):
    """One linear layer over the flat features (Qlib's LinearModel, trained by gradient descent)."""

    def __init__(self, n_features: int, **_: Any) -> None:
        super().__init__()
        self.fc = nn.Linear(n_features, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(x).squeeze(-1)


class MLPNet(nn.Module):
    """Dense layers with batch norm, LeakyReLU and dropout (after Qlib's DNNModelPytorch)."""

    def __init__(
        self, n_features: int, hidden_size: int = 256, num_layers: int = 2, dropout: float = 0.1, **_: Any
    ) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        width = n_features
        for _layer in range(num_layers):
            layers += [
                nn.Linear(width, hidden_size),
                nn.BatchNorm1d(hidden_size),
                nn.LeakyReLU(0.1),
                nn.Dropout(dropout),
            ]
            width = hidden_size
        layers.append(nn.Linear(width, 1))
        self.net = nn.Sequential(*layers)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).squeeze(-1)


class RNNNet(nn.Module):
    """GRU or LSTM over (batch, time, d_feat); the last step's hidden state goes to a linear head.

    The GRU is core.models.fast_rnn.GRU: nn.GRU's parameters and state dict, a faster backward on the CPU.
    """

    def __init__(
        self, d_feat: int, cell: str = "gru", hidden_size: int = 64, num_layers: int = 2, dropout: float = 0.0, **_: Any
    ) -> None:
        super().__init__()
        rnn = GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn(d_feat, hidden_size, num_layers, batch_first=True, dropout=dropout if num_layers > 1 else 0.0)
        self.fc = nn.Linear(hidden_size, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(x)
        return self.fc(out[:, -1]).squeeze(-1)


class ALSTMNet(nn.Module):
    """Attention LSTM: input projection, recurrent layer, temporal attention; head on [last, attended]."""

    def __init__(
        self, d_feat: int, hidden_size: int = 64, num_layers: int = 2, dropout: float = 0.0, cell: str = "gru", **_: Any
    ) -> None:
        super().__init__()
        self.proj = nn.Sequential(nn.Linear(d_feat, hidden_size), nn.Tanh())
        rnn = GRU if cell == "gru" else nn.LSTM
        self.rnn = rnn(
            hidden_size, hidden_size, num_layers, batch_first=True, dropout=dropout if num_layers > 1 else 0.0
        )
        self.attention = nn.Sequential(
            nn.Linear(hidden_size, hidden_size // 2),
            nn.Dropout(dropout),
            nn.Tanh(),
            nn.Linear(hidden_size // 2, 1, bias=False),
        )
        self.fc = nn.Linear(hidden_size * 2, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out, _ = self.rnn(self.proj(x))
        weights = torch.softmax(self.attention(out), dim=1)  # (batch, time, 1)
        attended = (out * weights).sum(dim=1)
        return self.fc(torch.cat([out[:, -1], attended], dim=1)).squeeze(-1)


class _PositionalEncoding(nn.Module):
    def __init__(self, d_model: int, max_len: int = 1000) -> None:
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        div = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10000.0) / d_model))
        pe = torch.zeros(max_len, d_model)
        pe[:, 0::2] = torch.sin(position * div)
        pe[:, 1::2] = torch.cos(position * div)[:, : d_model // 2]
        self.register_buffer("pe", pe)
        self.pe: torch.Tensor  # registered above; declared so the type is a Tensor, not Tensor | Module

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.pe[: x.size(1)].unsqueeze(0)


class TransformerNet(nn.Module):
    """Linear embedding, sinusoidal positions, a Transformer encoder; the last step feeds the head."""

    def __init__(
        self, d_feat: int, d_model: int = 64, nhead: int = 2, num_layers: int = 2, dropout: float = 0.0, **_: Any
    ) -> None:
        super().__init__()
        self.embed = nn.Linear(d_feat, d_model)
        self.position = _PositionalEncoding(d_model)
        layer = nn.TransformerEncoderLayer(
            d_model, nhead, dim_feedforward=d_model * 4, dropout=dropout, batch_first=True
        )
        self.encoder = nn.TransformerEncoder(layer, num_layers, enable_nested_tensor=False)
        self.fc = nn.Linear(d_model, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        out = self.encoder(self.position(self.embed(x)))
        return self.fc(out[:, -1]).squeeze(-1)


def build_net(kind: str, n_features: int, d_feat: int, params: dict[str, Any]) -> nn.Module:
    """The network for a model name; flat nets see `n_features`, sequence nets `d_feat` per step."""
    if kind == "linear":
        return LinearNet(n_features)
    if kind == "mlp":
        return MLPNet(n_features, **params)
    if kind in ("gru", "lstm"):
        return RNNNet(d_feat, cell=kind, **params)
    if kind == "alstm":
        return ALSTMNet(d_feat, **params)
    if kind == "transformer":
        return TransformerNet(d_feat, **params)
    raise ValueError(f"unknown network {kind!r}")
