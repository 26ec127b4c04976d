"""Metrics against hand computation; the HTML and CSV report is complete, self-contained and parseable."""

from __future__ import annotations

import datetime as dt
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.backtest.engine import BacktestConfig
from core.backtest.metrics import compute_metrics, information_coefficients, max_drawdown
from core.backtest.report import write_report
from core.backtest.run import BacktestResult, run_backtest
from core.storage import MarketStore
from core.strategy.topk_dropout import TopkDropoutStrategy
from tests.core.backtest.fixtures import SYMBOLS, momentum_signals


def test_metrics_equal_the_hand_computed_figures() -> None:
    equity = [110.0, 99.0, 104.5, 121.0]
    bench = [0.05, -0.05, 0.0, 0.10]
    daily = pd.DataFrame(
        {
            "equity": equity,
            "fees": [1.0, 0.0, 0.0, 0.0],
            "buy_value": [100.0, 0, 0, 0],
            "sell_value": [0.0, 0, 0, 50.0],
            "positions": [1, 1, 1, 0],
            "benchmark_return": bench,
        }
    )
    trades = pd.DataFrame({"side": ["buy", "sell", "sell", "sell"], "pnl": [0.0, 10.0, -4.0, 2.0]})
    m = compute_metrics(daily, trades, 100.0)
    r = np.array([0.10, -0.10, 0.055555555555555, 0.157894736842105])
    assert m["total_return"] == pytest.approx(0.21)
    assert m["annualized_return"] == pytest.approx(1.21 ** (252 / 4) - 1)
    assert m["volatility"] == pytest.approx(np.std(r, ddof=1) * math.sqrt(252))
    assert m["sharpe"] == pytest.approx(r.mean() / np.std(r, ddof=1) * math.sqrt(252))
    assert m["sortino"] == pytest.approx(r.mean() / math.sqrt(0.01 / 4) * math.sqrt(252))
    assert m["max_drawdown"] == pytest.approx(99 / 110 - 1) and m["max_drawdown_days"] == 3  # 110 -> 121
    assert m["calmar"] == pytest.approx(m["annualized_return"] / 0.1)
    ex = r - np.array(bench)
    assert m["excess_return"] == pytest.approx(ex.sum())
    assert m["information_ratio"] == pytest.approx(ex.mean() / np.std(ex, ddof=1) * math.sqrt(252))
    assert m["excess_return_without_cost"] == pytest.approx(ex.sum() + 0.01)  # the 1.0 fee on 100 of equity
    assert m["win_rate"] == pytest.approx(2 / 3) and m["profit_factor"] == pytest.approx(12 / 4)
    assert m["turnover"] == pytest.approx(np.mean([0.5, 0, 0, 25 / 104.5]))
    assert m["costs_paid"] == 1.0 and m["benchmark_return"] == pytest.approx(1.05 * 0.95 * 1.1 - 1)


def test_drawdown_that_never_recovers_runs_to_the_end() -> None:
    assert max_drawdown(np.array([1.0, 2.0, 1.0, 1.5])) == (-0.5, 2)
    assert max_drawdown(np.array([1.0, 1.1, 1.2])) == (0.0, 0)


def test_information_coefficient_of_a_perfect_and_a_reversed_signal() -> None:
    close = np.array([[10.0, 10.0, 10.0, 10.0], [11.0, 10.5, 9.0, 10.1]])
    fwd = np.vstack([close[1] / close[0] - 1, np.full(4, np.nan)])
    ic, rank_ic = information_coefficients(np.vstack([fwd[0], fwd[0]]), fwd)
    assert ic[0] == pytest.approx(1.0) and rank_ic[0] == pytest.approx(1.0) and np.isnan(ic[1])
    ic, rank_ic = information_coefficients(np.vstack([-fwd[0], fwd[0]]), fwd)
    assert rank_ic[0] == pytest.approx(-1.0)


@pytest.fixture(scope="module")
def result(real_store: MarketStore) -> BacktestResult:
    sig = momentum_signals(real_store, SYMBOLS, "2019-06-01", "2020-12-31")
    items = list(
        run_backtest(
            real_store,
            sig,
            TopkDropoutStrategy(topk=3, n_drop=1),
            BacktestConfig(dt.date(2020, 1, 2), dt.date(2020, 12, 31)),
        )
    )
    return items[-1]  # type: ignore[return-value]


def test_report_files_are_written_and_well_formed(result: BacktestResult, tmp_path: Path) -> None:
    files = write_report(result, tmp_path / "rep")
    assert sorted(files) == [
        "cost_sensitivity.csv",
        "daily.csv",
        "metrics.csv",
        "monthly.csv",
        "positions.csv",
        "refusals.csv",
        "report.html",
        "skipped.csv",
        "trades.csv",
        "yearly.csv",
    ]
    daily = pd.read_csv(files["daily.csv"], parse_dates=["date"])
    assert len(daily) == len(result.daily) and {"equity", "drawdown", "benchmark", "excess", "ic"} <= set(daily)
    assert np.allclose(daily["equity"], result.daily["equity"], rtol=1e-9)
    trades = pd.read_csv(files["trades.csv"])
    assert len(trades) == len(result.trades) and list(trades.columns)[:4] == ["date", "symbol", "side", "shares"]
    monthly = pd.read_csv(files["monthly.csv"])
    assert list(monthly["year"]) == [2020] and monthly.shape[1] == 13
    compounded = (1 + result.daily["return"]).prod() - 1
    assert np.prod(1 + monthly.iloc[0, 1:].to_numpy(dtype=float)) - 1 == pytest.approx(compounded)
    metrics = pd.read_csv(files["metrics.csv"]).set_index("metric")["value"]
    assert metrics["total_return"] == pytest.approx(result.metrics["total_return"])
    html = files["report.html"].read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and html.rstrip().endswith("</html>")
    assert html.count("<svg") == 5 and "Monthly returns" in html and "000300.SH" in html
    for section in ("Yearly", "Cost and slippage sensitivity", "Skipped by the strategy", "Metric definitions"):
        assert f"<h2>{section}" in html
    assert "open(t+1) → open(t+2)" in html and f">{result.daily.index[-1]:%Y-%m-%d}</text>" in html
    yearly = pd.read_csv(files["yearly.csv"])
    assert list(yearly["year"]) == [2020] and yearly["return"].iloc[0] == pytest.approx(compounded)
    assert "src=" not in html and "http://" not in html.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert not list((tmp_path / "rep").glob("*.tmp"))


def test_monthly_table_compounds_daily_returns(result: BacktestResult) -> None:
    table = result.monthly_returns()
    march = result.daily.loc["2020-03", "return"]
    assert table.loc[2020, 3] == pytest.approx((1 + march).prod() - 1)
