"""Look-ahead-free defaults: limits judged at the fill, fill-to-fill IC, stated warnings, Qlib's mode on request."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from core.backtest.engine import BacktestConfig
from core.backtest.metrics import fill_to_fill_returns, information_coefficients
from core.backtest.run import BacktestResult, run_backtest
from core.storage import MarketStore
from core.strategy.topk_dropout import TopkDropoutStrategy
from tests.core.backtest.fixtures import SYMBOLS, momentum_signals, panel


def _run(
    store: MarketStore, sig: pd.DataFrame, strategy: TopkDropoutStrategy, config: BacktestConfig
) -> BacktestResult:
    out = list(run_backtest(store, sig, strategy, config))[-1]
    assert isinstance(out, BacktestResult)
    return out


def _one_day_signal(day: str, best: str) -> pd.DataFrame:
    rows = [(pd.Timestamp(day), s, 1.0 if s == best else 0.0) for s in SYMBOLS]
    return pd.DataFrame(rows, columns=["datetime", "instrument", "score"]).set_index(["datetime", "instrument"])


def test_an_open_fill_is_judged_at_the_open_not_at_the_close(real_store: MarketStore) -> None:
    # 600036.SH opened at 37.18 on 2020-07-06 and closed at its limit-up 40.41: buyable at the open.
    p = panel(real_store, ["600036.SH"], "2020-07-06", "2020-07-06")
    i = p.first
    assert p.open[i, 0] < p.limit_up[i, 0] - 1 and p.close[i, 0] == pytest.approx(p.limit_up[i, 0])
    sig = _one_day_signal("2020-07-03", "600036.SH")
    window = (dt.date(2020, 7, 6), dt.date(2020, 7, 7))
    honest = _run(real_store, sig, TopkDropoutStrategy(topk=1, n_drop=1), BacktestConfig(*window, "open"))
    assert honest.trades[["symbol", "side", "price"]].values.tolist() == [["600036.SH", "buy", 37.18]]
    assert honest.skipped_counts == {}
    qlib = _run(
        real_store,
        sig,
        TopkDropoutStrategy(topk=1, n_drop=1, ties="qlib"),
        BacktestConfig(*window, "open", mode="qlib"),
    )
    assert qlib.trades.empty and qlib.skipped_counts == {"limit_up": 1}  # Qlib looks at the close
    assert qlib.skipped[["symbol", "reason"]].values.tolist() == [["600036.SH", "limit_up"]]


def test_ic_correlates_with_the_fill_to_fill_return() -> None:
    opens = np.array([[10.0, 10.0, 10.0, 10.0], [10.0, 10.0, 10.0, 10.0], [11.0, 10.5, 9.0, 10.1]])
    fwd = fill_to_fill_returns(opens)
    assert np.allclose(fwd[0], opens[2] / opens[1] - 1) and np.isnan(fwd[1:]).all()
    ic, rank_ic = information_coefficients(np.vstack([fwd[0], fwd[0], fwd[0]]), fwd)
    assert ic[0] == pytest.approx(1.0) and rank_ic[0] == pytest.approx(1.0) and np.isnan(ic[1])


def test_report_ic_is_the_traded_return_of_the_deal_price(real_store: MarketStore) -> None:
    sig = momentum_signals(real_store, SYMBOLS, "2020-01-01", "2020-06-30")
    res = _run(
        real_store,
        sig,
        TopkDropoutStrategy(topk=3, n_drop=1),
        BacktestConfig(dt.date(2020, 3, 2), dt.date(2020, 6, 30)),
    )
    p = panel(real_store, sorted(SYMBOLS), "2020-03-02", "2020-06-30")
    day = p.first + 10  # the IC shown on execution day i is the score of i-1 against open(i) -> open(i+1)
    adj = p.open * p.factor
    ret = adj[day + 1] / adj[day] - 1
    score = np.array([sig["score"].get((pd.Timestamp(p.day(day - 1)), s), np.nan) for s in p.symbols])
    ok = np.isfinite(ret) & np.isfinite(score)
    assert res.daily["ic"].iloc[10] == pytest.approx(np.corrcoef(score[ok], ret[ok])[0, 1])
    assert "open(t+1) → open(t+2)" in res.ic_basis


def test_a_frozen_tail_and_a_vwap_without_amount_are_reported(real_store: MarketStore) -> None:
    sig = momentum_signals(real_store, SYMBOLS, "2021-11-01", "2022-03-31")
    res = _run(
        real_store,
        sig,
        TopkDropoutStrategy(topk=3, n_drop=1),
        BacktestConfig(dt.date(2022, 1, 4), dt.date(2022, 6, 30), "vwap"),
    )
    last = sig.index.get_level_values(0).max().date()
    frozen = [n for n in res.notes if "hold the book unchanged" in n]
    assert len(frozen) == 1 and str(last) in frozen[0]
    held_after = int((res.daily.index > pd.Timestamp(last)).sum()) - 1
    assert f"the {held_after} trading day(s)" in frozen[0]
    vwap = [n for n in res.notes if n.startswith("deal price vwap")]
    assert len(vwap) == 1 and "fill at the close" in vwap[0]  # amounts are empty after 2022-01-14


def test_a_close_limit_with_open_fills_is_called_look_ahead(real_store: MarketStore) -> None:
    from core.rules.engine import LimitMode, RuleConfig

    sig = momentum_signals(real_store, SYMBOLS, "2020-01-01", "2020-03-31")
    config = BacktestConfig(
        dt.date(2020, 3, 2), dt.date(2020, 3, 31), "open", rules=RuleConfig(limit_mode=LimitMode.CLOSE)
    )
    res = _run(real_store, sig, TopkDropoutStrategy(topk=3, n_drop=1), config)
    assert any("look-ahead" in n for n in res.notes)
    assert BacktestConfig(dt.date(2020, 3, 2), dt.date(2020, 3, 31)).rules.limit_mode is LimitMode.DEAL
    assert BacktestConfig(dt.date(2020, 3, 2), dt.date(2020, 3, 31), mode="qlib").rules.limit_mode is LimitMode.CLOSE
    with pytest.raises(ValueError, match="mode must be one of honest, qlib"):
        BacktestConfig(dt.date(2020, 3, 2), dt.date(2020, 3, 31), mode="fast")
    with pytest.raises(ValueError, match="annualization"):
        BacktestConfig(dt.date(2020, 3, 2), dt.date(2020, 3, 31), annualization=0)


def test_yearly_table_and_cost_sensitivity(real_store: MarketStore) -> None:
    sig = momentum_signals(real_store, SYMBOLS, "2018-10-01", "2020-12-31")
    res = _run(
        real_store,
        sig,
        TopkDropoutStrategy(topk=3, n_drop=1),
        BacktestConfig(dt.date(2019, 1, 2), dt.date(2020, 12, 31), annualization=238),
    )
    years = res.yearly()
    assert list(years.index) == [2019, 2020]
    r2020 = res.daily.loc["2020", "return"]
    ex2020 = r2020 - res.daily.loc["2020", "benchmark_return"]
    assert years.loc[2020, "return"] == pytest.approx((1 + r2020).prod() - 1)
    assert years.loc[2020, "excess_annualized"] == pytest.approx(ex2020.mean() * 238)
    assert years.loc[2020, "information_ratio"] == pytest.approx(ex2020.mean() / ex2020.std() * np.sqrt(238))
    costs = res.cost_sensitivity()
    assert list(costs.index) == [0, 5, 10, 20]
    assert costs.loc[0, "annualized_return"] == pytest.approx(res.metrics["annualized_return"])
    assert costs.loc[0, "excess_annualized"] == pytest.approx(res.metrics["excess_annualized"])
    assert res.metrics["excess_annualized"] == pytest.approx(
        (res.daily["return"] - res.daily["benchmark_return"].fillna(0)).mean() * 238
    )
    assert (
        costs["annualized_return"].is_monotonic_decreasing
        and costs.loc[20, "annualized_return"] < costs.loc[5, "annualized_return"]
    )
    d = res.daily
    prev = np.concatenate([[res.config.initial_cash], d["equity"].to_numpy()[:-1]])
    r10 = d["return"] - (d["buy_value"] + d["sell_value"]) / prev * 10 / 10_000
    assert costs.loc[10, "annualized_return"] == pytest.approx((1 + r10).prod() ** (238 / len(d)) - 1)
