"""The routine's dry run over history reconciles with the backtest of its own scores, ties included."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.backtest.engine import BacktestConfig
from core.backtest.run import BacktestResult, run_backtest
from core.backtest.signals import read_signal_file
from core.jobs import Cancelled, CancelToken
from core.paths import store_path
from core.routine.simulate import RoutineProgress, SimulationFinished, simulate_routine
from core.storage import MarketStore
from core.strategy.topk_dropout import TopkDropoutStrategy
from tests.core.research.slices import Slice

START, END = dt.date(2011, 10, 10), dt.date(2012, 3, 30)


def test_simulated_equity_reconciles_with_the_backtest_every_day(trained: tuple[Slice, str], tmp_path: Path) -> None:
    s, run_id = trained
    out = tmp_path / "sim"
    items = list(simulate_routine(s.data_dir, run_id, START, END, TopkDropoutStrategy(5, 2), out, cash=2_000_000.0))
    done = items[-1]
    assert isinstance(done, SimulationFinished) and done.fills > 20
    assert {"score", "market", "day"} <= {i.stage for i in items if isinstance(i, RoutineProgress)}
    daily = pd.read_csv(out / "daily.csv", index_col="date")
    scores = pd.read_csv(out / "scores.csv")
    ties = scores.groupby("datetime")["score"].apply(lambda x: x.duplicated().any())
    assert ties.sum() > 10  # the reconciliation covers many days with tied scores
    signals = read_signal_file(out / "scores.csv")
    store = MarketStore.open(store_path(s.data_dir))
    try:
        config = BacktestConfig(START, END, "open", 2_000_000.0, None)
        *_, result = run_backtest(store, signals, TopkDropoutStrategy(5, 2), config)
    finally:
        store.close()
    assert isinstance(result, BacktestResult)
    expected = result.daily["equity"]
    assert [d.strftime("%Y-%m-%d") for d in expected.index] == list(daily.index)
    gap = np.abs(daily["equity"].to_numpy() / expected.to_numpy() - 1)
    assert gap.max() < 1e-3, gap.max()
    fills = pd.read_csv(out / "fills.csv")
    assert len(fills) == len(result.trades)
    orders = pd.read_csv(out / "orders.csv")
    assert set(orders["status"]) <= {"filled", "refused"}


def test_simulation_cancels_between_days(trained: tuple[Slice, str], tmp_path: Path) -> None:
    s, run_id = trained
    token = CancelToken()
    with pytest.raises(Cancelled):
        for item in simulate_routine(
            s.data_dir, run_id, START, END, TopkDropoutStrategy(5, 2), tmp_path, 1e6, cancel=token
        ):
            if isinstance(item, RoutineProgress) and item.stage == "day":
                token.cancel()
    assert not (tmp_path / "daily.csv").exists()  # nothing half-written


def test_bad_windows_and_cash_are_refused(trained: tuple[Slice, str], tmp_path: Path) -> None:
    s, run_id = trained
    with pytest.raises(ValueError, match="before --start"):
        next(simulate_routine(s.data_dir, run_id, END, START, TopkDropoutStrategy(5, 2), tmp_path))
    with pytest.raises(ValueError, match="--cash"):
        next(simulate_routine(s.data_dir, run_id, START, END, TopkDropoutStrategy(5, 2), tmp_path, cash=0))
