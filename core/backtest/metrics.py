"""Performance figures from the daily account: returns, risk, drawdown, excess vs benchmark, trades, IC."""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

TRADING_DAYS = 252  # the default annualization; Qlib's risk_analysis uses 238


def max_drawdown(equity: np.ndarray) -> tuple[float, int]:
    """Deepest fall from a running peak (negative fraction) and its duration in trading days, peak to
    recovery (or to the end when it has not recovered)."""
    if len(equity) == 0:
        return 0.0, 0
    peak = np.maximum.accumulate(equity)
    dd = equity / peak - 1
    trough = int(np.argmin(dd))
    if dd[trough] >= 0:
        return 0.0, 0
    start = int(np.flatnonzero(equity[: trough + 1] == peak[trough])[0])
    after = np.flatnonzero(equity[trough:] >= peak[trough])
    end = trough + int(after[0]) if after.size else len(equity) - 1
    return float(dd[trough]), end - start


def drawdown_series(equity: np.ndarray) -> np.ndarray:
    return equity / np.maximum.accumulate(equity) - 1 if len(equity) else equity


def _annualized(total: float, days: int, year: int = TRADING_DAYS) -> float:
    return (1 + total) ** (year / days) - 1 if days > 0 and total > -1 else float("nan")


def _ratio(mean: float, std: float, year: int = TRADING_DAYS) -> float:
    return mean / std * math.sqrt(year) if std > 0 else float("nan")


def compute_metrics(
    daily: pd.DataFrame, trades: pd.DataFrame, initial_cash: float, year: int = TRADING_DAYS
) -> dict[str, float]:
    """`daily` has equity, fees, buy_value, sell_value, positions and optional benchmark_return.

    `year` is the number of trading days per year used to annualize (252 by default; Qlib uses 238).
    """
    equity = daily["equity"].to_numpy(dtype=float)
    prev = np.concatenate([[initial_cash], equity[:-1]])
    r = equity / prev - 1
    gross = (equity + daily["fees"].to_numpy(dtype=float)) / prev - 1  # the same day without its costs
    n = len(r)
    total = float(equity[-1] / initial_cash - 1) if n else 0.0
    annual = _annualized(total, n, year)
    downside = np.sqrt(np.mean(np.minimum(r, 0) ** 2)) if n else 0.0
    mdd, mdd_days = max_drawdown(np.concatenate([[initial_cash], equity]))
    m: dict[str, float] = {
        "total_return": total,
        "annualized_return": annual,
        "volatility": float(np.std(r, ddof=1) * math.sqrt(year)) if n > 1 else float("nan"),
        "sharpe": _ratio(float(np.mean(r)), float(np.std(r, ddof=1)), year) if n > 1 else float("nan"),
        "sortino": _ratio(float(np.mean(r)), float(downside), year),
        "max_drawdown": mdd,
        "max_drawdown_days": float(mdd_days),
        "calmar": annual / abs(mdd) if mdd < 0 else float("nan"),
        "win_rate_days": float(np.mean(r > 0)) if n else float("nan"),
        "turnover": float(np.mean((daily["buy_value"] + daily["sell_value"]).to_numpy() / 2 / prev)) if n else 0.0,
        "costs_paid": float(daily["fees"].sum()),
        "average_positions": float(daily["positions"].mean()) if n else 0.0,
        "trading_days": float(n),
    }
    if "benchmark_return" in daily and daily["benchmark_return"].notna().any():
        b = daily["benchmark_return"].fillna(0.0).to_numpy(dtype=float)
        for suffix, series in (("", r), ("_without_cost", gross)):
            excess = series - b
            m[f"excess_return{suffix}"] = float(np.sum(excess))
            m[f"excess_annualized{suffix}"] = float(np.mean(excess) * year)
            m[f"information_ratio{suffix}"] = (
                _ratio(float(np.mean(excess)), float(np.std(excess, ddof=1)), year) if n > 1 else float("nan")
            )
        m["benchmark_return"] = float(np.prod(1 + b) - 1)
    m.update(trade_metrics(trades))
    return m


def yearly_table(daily: pd.DataFrame, year: int = TRADING_DAYS) -> pd.DataFrame:
    """Per calendar year of a daily frame with `return` (and optional `benchmark_return`)."""
    import pandas as pd

    rows = []
    for label, d in daily.groupby(daily.index.year):
        r = d["return"].to_numpy(dtype=float)
        row: dict[str, float] = {"year": int(label), "days": len(r), "return": float(np.prod(1 + r) - 1)}
        if "benchmark_return" in d and d["benchmark_return"].notna().any():
            b = d["benchmark_return"].fillna(0.0).to_numpy(dtype=float)
            ex = r - b
            row["benchmark_return"] = float(np.prod(1 + b) - 1)
            row["excess_return"] = float(ex.sum())
            row["excess_annualized"] = float(ex.mean() * year)
            row["information_ratio"] = (
                _ratio(float(ex.mean()), float(np.std(ex, ddof=1)), year) if len(ex) > 1 else float("nan")
            )
        rows.append(row)
    return pd.DataFrame(rows).set_index("year") if rows else pd.DataFrame()


def cost_sensitivity(
    daily: pd.DataFrame, initial_cash: float, bps: Sequence[float], year: int = TRADING_DAYS
) -> pd.DataFrame:
    """Annualized return, excess and IR with `bp` basis points more cost on each side's traded value.

    The trades stay those of the run (a first-order estimate: it does not re-size orders for the smaller cash).
    """
    import pandas as pd

    equity = daily["equity"].to_numpy(dtype=float)
    prev = np.concatenate([[initial_cash], equity[:-1]])
    r = equity / prev - 1
    traded = (daily["buy_value"] + daily["sell_value"]).to_numpy(dtype=float) / prev
    b = daily["benchmark_return"].fillna(0.0).to_numpy(dtype=float) if "benchmark_return" in daily else None
    rows = []
    for bp in bps:
        rr = r - traded * bp / 10_000
        row = {"extra_cost_bp": float(bp), "annualized_return": _annualized(float(np.prod(1 + rr) - 1), len(rr), year)}
        if b is not None:
            ex = rr - b
            row["excess_annualized"] = float(ex.mean() * year) if len(ex) else float("nan")
            row["information_ratio"] = (
                _ratio(float(ex.mean()), float(np.std(ex, ddof=1)), year) if len(ex) > 1 else float("nan")
            )
        rows.append(row)
    return pd.DataFrame(rows).set_index("extra_cost_bp")


def trade_metrics(trades: pd.DataFrame) -> dict[str, float]:
    """Win rate and profit factor over closing trades (sells), net of both sides' costs."""
    sells = trades[trades["side"] == "sell"] if len(trades) else trades
    if not len(sells):
        return {"trades": float(len(trades)), "win_rate": float("nan"), "profit_factor": float("nan")}
    pnl = sells["pnl"].to_numpy(dtype=float)
    loss = -pnl[pnl < 0].sum()
    return {
        "trades": float(len(trades)),
        "win_rate": float(np.mean(pnl > 0)),
        "profit_factor": float(pnl[pnl > 0].sum() / loss) if loss > 0 else float("inf"),
    }


def fill_to_fill_returns(adj_deal: np.ndarray) -> np.ndarray:
    """Per day t: the return a score of day t can earn, from its fill at t+1 to the next fill at t+2.

    `adj_deal` is the adjusted deal price (open, close or vwap times the factor); NaN where either fill is
    missing, and for the last two days.
    """
    fwd = np.full(adj_deal.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        fwd[:-2] = adj_deal[2:] / adj_deal[1:-1] - 1
    return fwd


def information_coefficients(scores: np.ndarray, forward: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per day t: Pearson IC and Spearman rank IC of score(t) with the forward return `forward[t]`."""
    import pandas as pd

    fwd = forward
    mask = ~np.isnan(scores) & ~np.isnan(fwd)

    def rowcorr(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        a = np.where(mask, a, np.nan)
        b = np.where(mask, b, np.nan)
        count = mask.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # days with no overlap give NaN, as they should
            am = a - np.nanmean(a, axis=1, keepdims=True)
            bm = b - np.nanmean(b, axis=1, keepdims=True)
            cov = np.nansum(am * bm, axis=1)
            out = cov / np.sqrt(np.nansum(am**2, axis=1) * np.nansum(bm**2, axis=1))
        out[count < 3] = np.nan
        return out

    if not mask.any():
        empty = np.full(len(scores), np.nan)
        return empty, empty.copy()
    ic = rowcorr(scores, fwd)
    ranks_a = pd.DataFrame(np.where(mask, scores, np.nan)).rank(axis=1).to_numpy()
    ranks_b = pd.DataFrame(np.where(mask, fwd, np.nan)).rank(axis=1).to_numpy()
    return ic, rowcorr(ranks_a, ranks_b)
