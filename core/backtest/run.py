"""Backtest job: load the market for the signal's universe, simulate, measure; a cancellable generator."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from core.backtest.engine import (
    DAILY_COLUMNS,
    POSITION_COLUMNS,
    REFUSAL_COLUMNS,
    SKIPPED_COLUMNS,
    TRADE_COLUMNS,
    BacktestConfig,
    Ledger,
    simulate,
)
from core.backtest.market import MarketPanel, load_market
from core.backtest.metrics import (
    compute_metrics,
    cost_sensitivity,
    drawdown_series,
    fill_to_fill_returns,
    information_coefficients,
    yearly_table,
)
from core.backtest.signals import SignalError, align_scores
from core.jobs import CancelToken, Progress
from core.rules.engine import LimitMode
from core.storage.market_store import MarketStore
from core.strategy.base import Strategy

if TYPE_CHECKING:
    import pandas as pd


@dataclass
class BacktestResult:
    """Frames of one run: `daily` (by date), `trades`, `positions`, `refusals`, `skipped`; metrics; counts.

    `refused` counts orders the rule engine turned down; `skipped` counts names the strategy left alone
    because the execution day's limits or a suspension kept them out (TopkDropout filters before ordering).
    """

    config: BacktestConfig
    strategy: str
    daily: pd.DataFrame
    trades: pd.DataFrame
    positions: pd.DataFrame
    refusals: pd.DataFrame
    metrics: dict[str, float]
    refused: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    skipped: pd.DataFrame | None = None
    ic_basis: str = ""

    @property
    def skipped_counts(self) -> dict[str, int]:
        if self.skipped is None or not len(self.skipped):
            return {}
        return dict(Counter(self.skipped["reason"]))

    def monthly_returns(self) -> pd.DataFrame:
        """Year × month table of compounded returns."""
        r = self.daily["return"]
        idx = r.index
        monthly = (1 + r).groupby([idx.year, idx.month]).prod() - 1
        table = monthly.unstack(level=1)
        table.index.name, table.columns.name = "year", "month"
        return table.reindex(columns=range(1, 13))

    def yearly(self) -> pd.DataFrame:
        """Per calendar year: return, benchmark, excess (summed and annualized) and information ratio."""
        return yearly_table(self.daily, self.config.annualization)

    def cost_sensitivity(self, bps: Sequence[float] = (0, 5, 10, 20)) -> pd.DataFrame:
        """The same trades with `bp` more cost or slippage on each side's traded value."""
        return cost_sensitivity(self.daily, self.config.initial_cash, bps, self.config.annualization)


def run_backtest(
    store: MarketStore,
    signals: pd.DataFrame,
    strategy: Strategy,
    config: BacktestConfig,
    cancel: CancelToken | None = None,
    st_intervals: Mapping[str, Sequence[tuple[str, str]]] | None = None,
) -> Iterator[Progress | BacktestResult]:
    """Yields Progress while loading and simulating, then one BacktestResult."""
    import pandas as pd

    days = signals.index.get_level_values(0)
    in_window = (days >= pd.Timestamp(config.start) - pd.Timedelta(days=31)) & (days <= pd.Timestamp(config.end))
    signals = signals[in_window]
    if signals.empty:
        raise SignalError(f"no signals between {config.start} and {config.end}")
    symbols = sorted(set(signals.index.get_level_values(1)))
    panel: MarketPanel | None = None
    for loaded_item in load_market(store, symbols, config.start, config.end, st_intervals, cancel):
        if isinstance(loaded_item, Progress):
            yield Progress(loaded_item.done, loaded_item.total * 4, loaded_item.message)  # about a fifth
        else:
            panel = loaded_item
    assert panel is not None
    if config.flat_limit is not None:
        panel.use_flat_limits(config.flat_limit)
    loaded = np.isfinite(panel.close).any(axis=0)
    notes = []
    if not loaded.all():
        notes.append(f"{int((~loaded).sum())} signal symbol(s) have no bars in the window and are never traded")
    notes += _input_warnings(panel, config)
    scores = align_scores(signals, panel.days, panel.symbols)
    ledger: Ledger | None = None
    n = len(panel.days) - panel.first
    for item in simulate(panel, scores, strategy, config, cancel):
        if isinstance(item, Progress):
            yield Progress(n // 4 + item.done, n // 4 + n, item.message)
        else:
            ledger = item
    assert ledger is not None
    benchmark = _benchmark(store, config, panel, notes)
    notes += _frozen_tail(panel, ledger)
    yield build_result(panel, scores, ledger, config, strategy.name, benchmark, notes)


def _input_warnings(panel: MarketPanel, config: BacktestConfig) -> list[str]:
    """Settings that quietly change what the backtest measures, said out loud."""
    out = []
    window = slice(panel.first, None)
    if config.deal_price == "vwap" and panel.vwap_from_close is not None:
        missing = int(panel.vwap_from_close[window].sum())
        bars = int(np.isfinite(panel.close[window]).sum())
        if missing:
            out.append(
                f"deal price vwap: {missing} of {bars} bars have no amount, so they fill at the close "
                f"({missing / bars:.0%}); import amounts or use --deal-price open/close"
            )
    if config.mode == "honest" and config.rules.limit_mode is LimitMode.CLOSE and config.deal_price != "close":
        out.append(
            f"limit mode close with {config.deal_price} fills judges the price limits with the day's close, "
            "which is not known at the fill (look-ahead); --limit-mode deal judges them at the fill"
        )
    return out


def _frozen_tail(panel: MarketPanel, ledger: Ledger) -> list[str]:
    """Days after the last signal hold the book unchanged: say so rather than report them as trading."""
    last = ledger.last_signal_day
    end = panel.day(len(panel.days) - 1)
    if last is None:
        return ["no signal day in the window: nothing was traded"]
    frozen = int((panel.days[panel.first :] > np.datetime64(last, "D")).sum()) - 1  # less the fill day
    if frozen > 0:
        return [
            f"the last signal is on {last}; the {frozen} trading day(s) up to {end} after its fill day hold the "
            f"book unchanged (end the backtest on the day after the last signal, or score those days)"
        ]
    return []


def _benchmark(store: MarketStore, config: BacktestConfig, panel: MarketPanel, notes: list[str]) -> np.ndarray | None:
    if not config.benchmark:
        return None
    bars = store.read_bars(config.benchmark, "1d", str(panel.days[0]), str(panel.days[-1]))
    if bars.empty:
        notes.append(f"benchmark {config.benchmark} is not in the store; excess figures are left out")
        return None
    import pandas as pd

    close = pd.Series(bars["close"].to_numpy(), index=pd.Index(bars["time"]))
    return close.reindex([str(d) for d in panel.days]).ffill().to_numpy()


def build_result(
    panel: MarketPanel,
    scores: np.ndarray,
    ledger: Ledger,
    config: BacktestConfig,
    strategy: str,
    benchmark: np.ndarray | None,
    notes: list[str] | None = None,
) -> BacktestResult:
    import pandas as pd

    daily = pd.DataFrame(ledger.daily, columns=list(DAILY_COLUMNS))
    daily["date"] = pd.to_datetime(daily["date"])
    daily = daily.set_index("date")
    prev = np.concatenate([[config.initial_cash], daily["equity"].to_numpy()[:-1]])
    daily["return"] = daily["equity"].to_numpy() / prev - 1
    daily["drawdown"] = drawdown_series(np.concatenate([[config.initial_cash], daily["equity"].to_numpy()]))[1:]
    daily["turnover"] = (daily["buy_value"] + daily["sell_value"]).to_numpy() / 2 / prev
    if benchmark is not None:
        window = benchmark[panel.first - 1 :] if panel.first >= 1 else np.concatenate([[np.nan], benchmark])
        daily["benchmark"] = window[1:]
        daily["benchmark_return"] = window[1:] / window[:-1] - 1
        daily["excess"] = (daily["return"] - daily["benchmark_return"].fillna(0.0)).cumsum()
    deal = panel.deal_prices(config.deal_price)
    ic, rank_ic = information_coefficients(scores, fill_to_fill_returns(deal * panel.factor))
    # IC of the signal that drove each execution day: the score of the day before.
    daily["ic"] = ic[panel.first - 1 : len(panel.days) - 1] if panel.first >= 1 else np.nan
    daily["rank_ic"] = rank_ic[panel.first - 1 : len(panel.days) - 1] if panel.first >= 1 else np.nan
    trades = pd.DataFrame(ledger.trades, columns=list(TRADE_COLUMNS))
    positions = pd.DataFrame(ledger.positions, columns=list(POSITION_COLUMNS))
    refusals = pd.DataFrame(ledger.refusals, columns=list(REFUSAL_COLUMNS))
    skipped = pd.DataFrame(ledger.skipped, columns=list(SKIPPED_COLUMNS))
    metrics = compute_metrics(daily, trades, config.initial_cash, config.annualization)
    metrics["ic"] = float(np.nanmean(daily["ic"])) if daily["ic"].notna().any() else float("nan")
    metrics["rank_ic"] = float(np.nanmean(daily["rank_ic"])) if daily["rank_ic"].notna().any() else float("nan")
    refused = dict(Counter(refusals["reason"])) if len(refusals) else {}
    basis = f"score of day t vs the {config.deal_price}(t+1) → {config.deal_price}(t+2) return (fill to fill)"
    return BacktestResult(
        config, strategy, daily, trades, positions, refusals, metrics, refused, notes or [], skipped, basis
    )


def window_dates(start: str, end: str) -> tuple[dt.date, dt.date]:
    """Parse YYYY-MM-DD bounds with a one-line error naming the bad one."""
    out = []
    for name, text in (("start", start), ("end", end)):
        try:
            out.append(dt.date.fromisoformat(text))
        except ValueError:
            raise ValueError(f"--{name}: {text!r} is not a date (YYYY-MM-DD)") from None
    return out[0], out[1]
