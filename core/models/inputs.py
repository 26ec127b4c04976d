"""How rows of a PreparedDataset become network inputs: flat vectors or (time, feature) sequences."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.datasets.prepared import ALPHA360_DAYS, ALPHA360_FIELDS

if TYPE_CHECKING:
    import numpy as np
    import torch

    from core.datasets.prepared import PreparedDataset


@dataclass
class InputLayout:
    """`flat`: (batch, n_features). Alpha360 sequences: its 60 days x 6 fields reshaped, as Qlib's GRU does.

    Other datasets as sequences: the row and the `step_len - 1` rows before it of the same
    instrument (Qlib's TSDatasetH), the first row repeated where history is shorter.
    """

    kind: str  # 'flat' | 'alpha360' | 'window'
    n_features: int
    d_feat: int
    step_len: int

    @classmethod
    def for_dataset(cls, dataset: PreparedDataset, sequence: bool, step_len: int) -> InputLayout:
        n = dataset.n_features
        if not sequence:
            return cls("flat", n, n, 1)
        if dataset.config.kind == "alpha360" and n == ALPHA360_FIELDS * ALPHA360_DAYS:
            return cls("alpha360", n, ALPHA360_FIELDS, ALPHA360_DAYS)
        return cls("window", n, n, max(1, int(step_len)))

    def windows(self, dataset: PreparedDataset) -> np.ndarray | None:
        """(N, step_len) row positions oldest first, for the 'window' layout; None otherwise."""
        import numpy as np

        if self.kind != "window":
            return None
        prev = dataset.previous_rows()
        out = np.empty((len(dataset), self.step_len), dtype=np.int64)
        out[:, -1] = np.arange(len(dataset))
        for t in range(self.step_len - 2, -1, -1):
            out[:, t] = prev[out[:, t + 1]]
        return out

    def gather(self, features: torch.Tensor, windows: torch.Tensor | None, rows: torch.Tensor) -> torch.Tensor:
        """The batch input for `rows` (a device tensor of row positions)."""
        if self.kind == "flat":
            return features[rows]
        if self.kind == "alpha360":
            return features[rows].view(-1, ALPHA360_FIELDS, ALPHA360_DAYS).transpose(1, 2)
        assert windows is not None
        return features[windows[rows]]
