"""`qlib` mode reproduces qlib.backtest on real bars with tied scores: the accounts agree within 0.05% every day."""

from __future__ import annotations

import datetime as dt
import sys
import types
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.backtest.engine import BacktestConfig
from core.backtest.run import BacktestResult, run_backtest
from core.data.qlib_export import export_qlib
from core.data.qlib_runtime import init_qlib
from core.domain.symbols import parse_symbol
from core.rules.engine import RuleConfig
from core.rules.fees import CostModel
from core.storage import MarketStore
from core.strategy.topk_dropout import TopkDropoutStrategy
from tests.core.backtest.fixtures import fill_store, momentum_signals

UNIVERSE = (
    "600000.SH", "600009.SH", "600016.SH", "600028.SH", "600030.SH", "600036.SH", "600048.SH", "600050.SH",
    "600104.SH", "600276.SH", "600309.SH", "600519.SH", "600585.SH", "600690.SH", "600887.SH", "601012.SH",
    "601166.SH", "601318.SH", "601398.SH", "601888.SH", "000001.SZ", "000002.SZ", "000063.SZ", "000333.SZ",
    "000651.SZ", "000725.SZ", "000858.SZ", "002415.SZ", "300059.SZ", "300750.SZ",
)  # fmt: skip
START, END = "2020-01-02", "2020-09-30"
CASH = 10_000_000.0


def _optional_qlib_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    """qlib.strategy imports gym (for its RL interfaces) and qlib.contrib.strategy cvxpy (for its optimizer);
    the daily TopkDropout backtest uses neither, so empty modules stand in while this test runs."""
    for name in ("gym", "cvxpy"):
        try:
            __import__(name)
        except ImportError:
            monkeypatch.setitem(sys.modules, name, types.ModuleType(name))
    if not hasattr(sys.modules["gym"], "Space"):
        spaces = types.ModuleType("gym.spaces")
        for cls in ("Space", "Dict", "Tuple", "Box", "Discrete"):
            setattr(spaces, cls, type(cls, (), {}))
        monkeypatch.setattr(sys.modules["gym"], "Space", spaces.Space, raising=False)
        monkeypatch.setattr(sys.modules["gym"], "spaces", spaces, raising=False)
        monkeypatch.setitem(sys.modules, "gym.spaces", spaces)


def test_qlib_mode_reconciles_with_qlib_backtest_on_tied_scores(
    tmp_path: Path, cn_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = MarketStore.open(tmp_path / "market.sqlite")
    fill_store(store, cn_data, UNIVERSE)
    # Momentum rounded to whole percents: many names share a score on most days.
    signals = momentum_signals(store, UNIVERSE, "2019-10-01", END).round(2)
    per_day = signals.groupby(level=0)["score"]
    assert (per_day.nunique() < per_day.count()).mean() > 0.9  # ties on nearly every day
    for _ in export_qlib(store, tmp_path / "provider"):
        pass
    rules = RuleConfig(
        t_plus_1=False,
        trade_unit=100,
        costs=CostModel(
            commission_rate=0.0005,
            sell_commission_rate=0.0015,
            min_commission=5.0,
            stamp_duty=False,
            transfer_fee=False,
        ),
    )
    config = BacktestConfig(
        dt.date.fromisoformat(START), dt.date.fromisoformat(END), "close", CASH, "000300.SH", rules, 0.095, "qlib"
    )
    ours = list(run_backtest(store, signals, TopkDropoutStrategy(topk=10, n_drop=3, ties="qlib"), config))[-1]
    assert isinstance(ours, BacktestResult)
    store.close()

    _optional_qlib_imports(monkeypatch)
    init_qlib(tmp_path / "provider", tmp_path / "work")
    from qlib.backtest import backtest
    from qlib.backtest.executor import SimulatorExecutor
    from qlib.contrib.strategy import TopkDropoutStrategy as QlibTopkDropout

    qsig = signals["score"].copy()
    qsig.index = qsig.index.set_levels([parse_symbol(s).qlib_code for s in qsig.index.levels[1]], level=1)
    portfolio, _ = backtest(
        START,
        END,
        QlibTopkDropout(signal=qsig.sort_index(), topk=10, n_drop=3),
        SimulatorExecutor(time_per_step="day", generate_portfolio_metrics=True),
        benchmark="SH000300",
        account=CASH,
        exchange_kwargs={
            "freq": "day",
            "limit_threshold": 0.095,
            "deal_price": "close",
            "open_cost": 0.0005,
            "close_cost": 0.0015,
            "min_cost": 5,
        },
    )
    theirs = portfolio["1day"][0]["account"]
    both = pd.concat([ours.daily["equity"], theirs], axis=1, join="inner").dropna()
    assert len(both) == len(ours.daily) > 150
    gap = np.abs(both.iloc[:, 0] / both.iloc[:, 1] - 1)
    assert gap.max() <= 0.0005, f"largest daily gap {gap.max():.4%} on {gap.idxmax().date()}"
    assert len(ours.trades) > 100
