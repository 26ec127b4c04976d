"""The strategy interface: what a strategy sees at the close of day t and what it asks for at t+1."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


@dataclass(frozen=True)
class StrategyContext:
    """The account and the signal after the close of `day`; orders go to the next trading day.

    `scores` and `prices` are aligned with `symbols` (NaN: no score / no price). `tradable(symbol, sell)`
    answers for the execution day: False when suspended or held at the limit in that direction
    (`sell=None`: at either limit, Qlib's forbid-all-trade-at-limit).
    """

    day: dt.date
    symbols: Sequence[str]
    scores: np.ndarray
    prices: np.ndarray
    holdings: Mapping[str, int]
    held_days: Mapping[str, int]
    cost_basis: Mapping[str, float]
    cash: float
    equity: float
    tradable: Callable[[str, bool | None], bool]
    index: Mapping[str, int] = field(default_factory=dict)

    def score(self, symbol: str) -> float:
        j = self.index.get(symbol)
        return float("nan") if j is None else float(self.scores[j])

    def price(self, symbol: str) -> float:
        j = self.index.get(symbol)
        return float("nan") if j is None else float(self.prices[j])

    def score_series(self) -> pd.Series:
        """Today's scores as a pandas Series (symbol index), NaNs dropped; handy in user strategies."""
        import pandas as pd

        s = pd.Series(self.scores, index=list(self.symbols))
        return s.dropna()


@dataclass(frozen=True)
class Decision:
    """What to do at the next open (or the chosen deal price).

    `sells`: symbol -> shares (None = all sellable), executed first, in order.
    `buys`: symbol -> fraction of the cash left after the sells, executed in order.
    `targets`: symbol -> weight of equity; when given, the engine trades every holding to it instead
    (holdings missing from it are sold).
    """

    sells: dict[str, int | None] = field(default_factory=dict)
    buys: dict[str, float] = field(default_factory=dict)
    targets: dict[str, float] | None = None
    tolerance: float = 0.0  # targets: leave a holding alone while |current/target - 1| is within it


class Strategy(ABC):
    """Subclass and implement `decide`; parameters go to `__init__` as keywords."""

    name = "strategy"

    @abstractmethod
    def decide(self, ctx: StrategyContext) -> Decision:
        """Orders for the next trading day from the state after the close of `ctx.day`."""


def target_weights(
    symbols: Sequence[str], scores: Sequence[float], method: str = "equal", max_weight: float = 1.0, total: float = 1.0
) -> dict[str, float]:
    """Weights summing to at most `total`: equal, or proportional to positive scores; each capped."""
    if not symbols:
        return {}
    if method == "equal":
        raw = [1.0] * len(symbols)
    elif method == "score":
        low = min(scores)
        # Shift so the weakest pick keeps a small weight instead of none or a negative one.
        raw = [s - low + 1e-6 * (1 + abs(low)) for s in scores]
    else:
        raise ValueError(f"weighting must be 'equal' or 'score', not {method!r}")
    norm = sum(raw)
    return {s: min(total * r / norm, max_weight) for s, r in zip(symbols, raw, strict=True)}
