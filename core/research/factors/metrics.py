"""How good a factor is: daily IC and Rank IC, their decay over horizons, quantile returns, turnover, coverage.

Every statistic is computed day by day across the universe's instruments (vectorised over the whole
day × instrument panel) and then averaged over days; a day with too few names to rank counts as missing.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from core.research.factors.engine import FactorPanel

MIN_NAMES = 5  # instruments with both a value and a return for a day's IC (and quantiles) to count


@dataclass(frozen=True)
class FactorResult:
    """The tear sheet's numbers: `summary` (name -> value), `decay` (horizon -> IC, Rank IC),
    `quantile_returns` (mean next-day return of each quantile, lowest factor first) and `daily`."""

    expression: str
    summary: dict[str, float]
    decay: dict[int, tuple[float, float]]
    quantile_returns: list[float]
    daily: pd.DataFrame  # per day: ic, rank_ic, q1..qN, long_short, turnover, coverage


def daily_ic(x: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per row, the Pearson correlation of x and y over the columns where both are finite."""
    valid = np.isfinite(x) & np.isfinite(y)
    n = valid.sum(axis=1)
    xs, ys = np.where(valid, x, 0.0).astype(np.float64), np.where(valid, y, 0.0).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        mx, my = xs.sum(axis=1) / n, ys.sum(axis=1) / n
        dx, dy = np.where(valid, xs - mx[:, None], 0.0), np.where(valid, ys - my[:, None], 0.0)
        ic = (dx * dy).sum(axis=1) / np.sqrt((dx * dx).sum(axis=1) * (dy * dy).sum(axis=1))
    ic[n < MIN_NAMES] = np.nan
    return ic


class RowOrder:
    """One sort of a panel along its rows, reused to rank any subset of the row's values.

    Ranking the names a day has on both sides (factor and a horizon's return) differs from horizon to
    horizon; with the order kept, each ranking is a few linear passes instead of another sort.
    """

    def __init__(self, x: np.ndarray) -> None:
        self.finite = np.isfinite(x)
        t, n = x.shape
        self.order = np.argsort(x, axis=1, kind="stable").astype(np.int32)  # NaNs sort last
        ordered = np.take_along_axis(x, self.order, axis=1)
        self.starts = np.ones((t, n), dtype=bool)  # a new value begins a group of ties
        self.starts[:, 1:] = ordered[:, 1:] != ordered[:, :-1]
        self.ends = np.ones((t, n), dtype=bool)
        self.ends[:, :-1] = self.starts[:, 1:]

    def ranks(self, keep: np.ndarray | None = None) -> np.ndarray:
        """Average ranks (from 1) among the finite values where `keep`; ties share their mean rank."""
        kept = self.finite if keep is None else self.finite & keep
        in_order = np.take_along_axis(kept, self.order, axis=1).astype(np.int32)
        through = np.cumsum(in_order, axis=1)  # kept values up to each sorted position
        n = through.shape[1]
        before = np.maximum.accumulate(np.where(self.starts, through - in_order, 0), axis=1)
        last = np.minimum.accumulate(np.where(self.ends, through, n)[:, ::-1], axis=1)[:, ::-1]
        ranks = np.empty(kept.shape, dtype=np.float64)
        np.put_along_axis(ranks, self.order, (before + 1 + last) / 2.0, axis=1)
        ranks[~kept] = np.nan
        return ranks


def rank_rows(x: np.ndarray) -> np.ndarray:
    """Per row, average ranks of the finite values (ties share their mean rank), NaN elsewhere."""
    return RowOrder(x).ranks()


def daily_rank_ic(
    x: np.ndarray, y: np.ndarray, x_order: RowOrder | None = None, y_order: RowOrder | None = None
) -> np.ndarray:
    """Spearman per row: both sides ranked over the columns where both are finite."""
    valid = np.isfinite(x) & np.isfinite(y)
    return daily_ic((x_order or RowOrder(x)).ranks(valid), (y_order or RowOrder(y)).ranks(valid))


def quantile_groups(
    x: np.ndarray, groups: int, keep: np.ndarray | None = None, order: RowOrder | None = None
) -> np.ndarray:
    """Per row, the quantile (0 = lowest) of each finite value (where `keep`), -1 elsewhere; ties share a group."""
    ranks = (order or RowOrder(x)).ranks(keep)
    n = np.isfinite(ranks).sum(axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        q = np.floor((ranks - 1) / n * groups)
    q = np.where(np.isfinite(q), q, -1).astype(np.int64)
    q[(n < max(groups, MIN_NAMES))[:, 0]] = -1
    return q


def _mean(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    return float(finite.mean()) if len(finite) else float("nan")


def _ir(values: np.ndarray) -> float:
    finite = values[np.isfinite(values)]
    if len(finite) < 2 or finite.std(ddof=1) == 0:
        return float("nan")
    return float(finite.mean() / finite.std(ddof=1))


def evaluate_panel(panel: FactorPanel, quantiles: int = 5) -> FactorResult:
    """Score a factor's panel; the headline horizon is the first of the panel's (normally 1 day)."""
    x = panel.values
    horizons = sorted(panel.returns)
    if x.size == 0 or not horizons:
        raise ValueError("the universe has no bars in the requested date range")
    y = panel.returns[horizons[0]]
    x_order = RowOrder(x)  # sorted once; each horizon sorts only its returns (one at a time: memory)
    daily = {h: (daily_ic(x, panel.returns[h]), daily_rank_ic(x, panel.returns[h], x_order)) for h in horizons}
    ic, rank_ic = daily[horizons[0]]
    decay = {h: (_mean(a), _mean(b)) for h, (a, b) in daily.items()}
    groups = quantile_groups(x, quantiles, np.isfinite(y), x_order)
    means = np.full((len(x), quantiles), np.nan)
    for g in range(quantiles):
        inside = groups == g
        with np.errstate(invalid="ignore"):
            means[:, g] = np.where(inside, y, 0.0).sum(axis=1) / inside.sum(axis=1)
    long_short = means[:, -1] - means[:, 0]
    top = quantile_groups(x, quantiles, order=x_order) == quantiles - 1  # held whatever its return turns out
    kept = (top[1:] & top[:-1]).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        turnover = np.concatenate([[np.nan], 1.0 - kept / top[1:].sum(axis=1)])
    turnover[~np.concatenate([[False], top[:-1].any(axis=1)]) | ~top.any(axis=1)] = np.nan
    members = panel.members if panel.members is not None else np.isfinite(y) | np.isfinite(x)
    with np.errstate(invalid="ignore", divide="ignore"):
        coverage = np.isfinite(x).sum(axis=1) / members.sum(axis=1)
    summary = {
        "ic": _mean(ic),
        "ic_std": float(np.nanstd(ic, ddof=1)) if np.isfinite(ic).sum() > 1 else float("nan"),
        "icir": _ir(ic),
        "rank_ic": _mean(rank_ic),
        "rank_icir": _ir(rank_ic),
        "ic_positive": _mean((ic > 0).astype(float)[np.isfinite(ic)]),
        "long_short": _mean(long_short),
        "top_turnover": _mean(turnover),
        "coverage": _mean(coverage),
        "days": float(len(x)),
        "scored_days": float(np.isfinite(ic).sum()),
        "instruments": float(len(panel.codes)),
    }
    frame = pd.DataFrame(
        {
            "ic": ic,
            "rank_ic": rank_ic,
            **{f"q{g + 1}": means[:, g] for g in range(quantiles)},
            "long_short": long_short,
            "turnover": turnover,
            "coverage": coverage,
        },
        index=pd.DatetimeIndex(panel.dates, name="date"),
    )
    quantile_returns = [_mean(means[:, g]) for g in range(quantiles)]
    return FactorResult(panel.expression, summary, decay, quantile_returns, frame)
