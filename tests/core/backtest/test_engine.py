"""The backtest loop on real bars: a hand-computed account, invariants, refusals that match the data, cancel."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd
import pytest

from core.backtest.engine import BacktestConfig
from core.backtest.run import BacktestResult, run_backtest
from core.jobs import Cancelled, CancelToken, Progress
from core.rules.engine import RuleConfig
from core.storage import MarketStore
from core.strategy.base import Decision, Strategy, StrategyContext
from core.strategy.topk_dropout import TopkDropoutStrategy
from tests.core.backtest.fixtures import SYMBOLS, momentum_signals, panel


def run(
    store: MarketStore,
    signals: pd.DataFrame,
    strategy: Strategy,
    config: BacktestConfig,
    cancel: CancelToken | None = None,
) -> BacktestResult:
    items = list(run_backtest(store, signals, strategy, config, cancel))
    assert all(isinstance(i, Progress) for i in items[:-1])
    assert isinstance(items[-1], BacktestResult)
    return items[-1]


def test_account_matches_a_hand_computation(real_store: MarketStore) -> None:
    a, b = "600000.SH", "000001.SZ"
    days = ["2020-02-28", "2020-03-02", "2020-03-03", "2020-03-04"]
    sig = pd.DataFrame(
        {
            "datetime": pd.to_datetime([days[0], days[0], days[1], days[1], days[2], days[2]]),
            "instrument": [a, b] * 3,
            "score": [1.0, 0.0, 0.0, 1.0, 0.0, 1.0],
        }
    )
    sig = sig.set_index(["datetime", "instrument"])
    config = BacktestConfig(dt.date(2020, 3, 2), dt.date(2020, 3, 4), "open", 1_000_000.0, None)
    res = run(real_store, sig, TopkDropoutStrategy(topk=1, n_drop=1), config)
    bars = {s: real_store.read_bars(s, "1d", days[1], days[3]).set_index("time") for s in (a, b)}
    assert all(bars[s]["factor"].nunique() == 1 for s in (a, b))  # no corporate action inside the window

    def fees(value: float, sell: bool) -> float:  # commission 0.025% (min 5), stamp 0.1% on sells, transfer 0.002%
        return max(value * 0.00025, 5.0) + (value * 0.001 if sell else 0.0) + value * 0.00002

    cash = 1_000_000.0
    pa = bars[a].loc[days[1], "open"]
    qa = math.floor(0.95 * cash / pa / 100) * 100
    cash -= qa * pa + fees(qa * pa, False)
    eq1 = cash + qa * bars[a].loc[days[1], "close"]
    sell_value = qa * bars[a].loc[days[2], "open"]
    cash += sell_value - fees(sell_value, True)
    pb = bars[b].loc[days[2], "open"]
    qb = math.floor(0.95 * cash / pb / 100) * 100
    cash -= qb * pb + fees(qb * pb, False)
    eq2 = cash + qb * bars[b].loc[days[2], "close"]
    eq3 = cash + qb * bars[b].loc[days[3], "close"]
    assert res.daily["equity"].tolist() == pytest.approx([eq1, eq2, eq3], rel=1e-12)
    assert res.trades[["symbol", "side", "shares"]].values.tolist() == [[a, "buy", qa], [a, "sell", qa], [b, "buy", qb]]
    assert res.metrics["costs_paid"] == pytest.approx(
        res.trades[["commission", "stamp_duty", "transfer"]].to_numpy().sum()
    )


def test_invariants_over_two_real_years(real_store: MarketStore) -> None:
    sig = momentum_signals(real_store, SYMBOLS, "2018-10-01", "2020-12-31")
    res = run(
        real_store,
        sig,
        TopkDropoutStrategy(topk=4, n_drop=1),
        BacktestConfig(dt.date(2019, 1, 1), dt.date(2020, 12, 31), "vwap"),
    )
    d = res.daily
    assert len(d) == 487 and d.index[0] == pd.Timestamp("2019-01-02")
    # Qlib's TopkDropout frees a slot even when the sell is blocked (2020-02-03: limit-down everywhere),
    # so one day may hold topk + n_drop names.
    assert (d["cash"] >= 0).all() and (d["positions"] <= 5).all() and (d["positions"] == 4).mean() > 0.9
    assert np.allclose(d["cash"] + d["market_value"], d["equity"], rtol=1e-12)
    by_day = res.positions.groupby("date")["value"].sum()
    assert np.allclose(by_day.to_numpy(), d.loc[d["positions"] > 0, "market_value"].to_numpy())
    assert (res.positions["shares"] > 0).all() and (res.trades["shares"] > 0).all()
    buys = res.trades[res.trades["side"] == "buy"]
    assert (buys["shares"] % 100 == 0).all()  # all main board and ChiNext: whole lots
    # Cash flows reconcile: start + sells - buys - fees + cash paid for fractional bonus shares = end cash.
    flows = 1e7 + res.trades.loc[res.trades.side == "sell", "value"].sum() - buys["value"].sum() - d["fees"].sum()
    assert d["cash"].iloc[-1] >= flows - 1e-6 and d["cash"].iloc[-1] - flows < 0.01 * 1e7
    assert "benchmark_return" in d and res.metrics["benchmark_return"] == pytest.approx(
        d["benchmark"].iloc[-1] / real_store.read_bars("000300.SH", "1d", "2018-12-28", "2018-12-28")["close"][0] - 1
    )


class TopThree(Strategy):
    """Equal targets on the three best scores, with no tradability check: the engine must refuse."""

    name = "top3"

    def decide(self, ctx: StrategyContext) -> Decision:
        best = ctx.score_series().sort_values(ascending=False).index[:3]
        return Decision(targets={s: 0.3 for s in best})


def test_refusals_match_the_bars_in_the_2015_crash(real_store: MarketStore) -> None:
    sig = momentum_signals(real_store, SYMBOLS, "2015-03-01", "2015-09-30", window=5)
    res = run(real_store, sig, TopThree(), BacktestConfig(dt.date(2015, 6, 1), dt.date(2015, 9, 30), "close"))
    assert {"limit_down", "limit_up", "suspended"} <= set(res.refused)  # the 2015 crash has all three
    p = panel(real_store, list(SYMBOLS), "2015-06-01", "2015-09-30")
    pos = {str(d): i for i, d in enumerate(p.days)}
    for day, symbol, side, reason in res.refusals.itertuples(index=False):
        i, j = pos[day.isoformat()], p.index[symbol]
        if reason == "suspended":
            assert np.isnan(p.close[i, j])
        elif reason == "limit_down":
            assert side == "sell" and p.close[i, j] <= p.limit_down[i, j] + 1e-9
        elif reason == "limit_up":
            assert side == "buy" and p.close[i, j] >= p.limit_up[i, j] - 1e-9
    assert sum(res.refused.values()) == len(res.refusals)


def test_cancel_stops_the_run(real_store: MarketStore) -> None:
    sig = momentum_signals(real_store, SYMBOLS, "2018-10-01", "2020-12-31")
    token = CancelToken()
    job = run_backtest(
        real_store,
        sig,
        TopkDropoutStrategy(topk=4, n_drop=1),
        BacktestConfig(dt.date(2019, 1, 1), dt.date(2020, 12, 31)),
        token,
    )
    next(job)
    token.cancel()
    with pytest.raises(Cancelled):
        list(job)


def test_corporate_action_keeps_the_holding_value(real_store: MarketStore) -> None:
    # 300750.SZ went ex-dividend on 2019-07-22 (factor 1 -> 1.0019): shares follow the factor.
    s = "300750.SZ"
    sig = pd.DataFrame({"datetime": pd.to_datetime(["2019-07-17"]), "instrument": [s], "score": [1.0]})
    res = run(
        real_store,
        sig.set_index(["datetime", "instrument"]),
        TopkDropoutStrategy(topk=1, n_drop=0),
        BacktestConfig(dt.date(2019, 7, 18), dt.date(2019, 7, 23), "open", 1_000_000.0, None, RuleConfig()),
    )
    held = res.positions.set_index("date")["shares"]
    before, after = held[dt.date(2019, 7, 19)], held[dt.date(2019, 7, 22)]
    assert after == math.floor(before * 1.001934771 + 1e-6) and after > before
    d = res.daily
    # Value is carried over the ex-date: equity changes only by the price move from the reference price.
    ref = 72.50 / 1.001934771
    expected = d["equity"].iloc[1] + after * (73.08 - ref)
    assert d["equity"].iloc[2] == pytest.approx(expected, rel=1e-9)


def test_bad_config_is_refused() -> None:
    with pytest.raises(ValueError, match="deal price"):
        BacktestConfig(dt.date(2020, 1, 1), dt.date(2020, 2, 1), "mid")
    with pytest.raises(ValueError, match="before start"):
        BacktestConfig(dt.date(2020, 2, 1), dt.date(2020, 1, 1))


class Stranger(Strategy):
    name = "stranger"

    def decide(self, ctx: StrategyContext) -> Decision:
        return Decision(buys={"600004.SH": 0.5})


def test_orders_for_symbols_outside_the_signal_are_refused_clearly(real_store: MarketStore) -> None:
    sig = momentum_signals(real_store, SYMBOLS[:2], "2020-01-01", "2020-03-31")
    with pytest.raises(ValueError, match="ordered 600004.SH, which the signal frame does not cover"):
        run(real_store, sig, Stranger(), BacktestConfig(dt.date(2020, 3, 2), dt.date(2020, 3, 31)))
