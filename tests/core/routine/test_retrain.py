"""Scheduled retraining in the after-close routine, on a small real universe with a tiny LightGBM run."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from core.research.registry import RunRegistry
from core.research.rolling import RollingStep
from core.routine.daily import StepDone, StepProgress, run_close
from core.routine.retrain import RetrainSchedule, RetrainState, retrain_due
from core.strategy.topk_dropout import TopkDropoutStrategy
from core.trading.paper import PaperBroker
from core.trading.store import TradingStore
from tests.core.research.slices import Slice, build_slice, train_tiny_lightgbm
from tests.core.routine.test_daily import Book

NEWEST = "2012-02-29"  # the slice's newest stored day; the run's test segment opened 2011-10-10


@pytest.fixture(scope="module")
def sliced(cn_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Slice:
    return build_slice(cn_data, tmp_path_factory.mktemp("retrain"), count=15, start="2010-06-01", end=NEWEST)


@pytest.fixture()
def chosen(sliced: Slice) -> str:
    """A fresh run of the tiny model, with no retrain history, for each test."""
    return train_tiny_lightgbm(sliced, count=15, seed=3, num_leaves=4, min_data_in_leaf=5)


@pytest.fixture()
def paper(tmp_path: Path) -> PaperBroker:
    return PaperBroker(TradingStore(tmp_path / "paper.sqlite"), cash=1_000_000.0, clock=lambda: dt.datetime(2012, 3, 1))


def _calendar(s: Slice) -> list[str]:
    from core.paths import store_path
    from core.storage import MarketStore

    store = MarketStore.open(store_path(s.data_dir))
    try:
        return list(store.trading_days())
    finally:
        store.close()


def _close(s: Slice, run_id: str, paper: PaperBroker, plan: RetrainSchedule) -> list[StepProgress | StepDone]:
    return list(run_close(s.data_dir, run_id, TopkDropoutStrategy(4, 1), paper, Book(paper), retrain=plan))


def test_due_counts_stored_trading_days_or_months(sliced: Slice) -> None:
    days = _calendar(sliced)
    since = "2012-01-31"
    after = [d for d in days if d > since]
    twenty = RollingStep.parse("20d")
    assert len(after) == 21 and after[19] == "2012-02-28"  # February 2012's sessions
    assert retrain_due(days, since, after[19], twenty) and not retrain_due(days, since, after[18], twenty)
    assert not retrain_due(days, since, since, RollingStep.parse("1d"))
    month = RollingStep.parse("1m")
    assert retrain_due(days, "2012-01-31", "2012-02-01", month) and not retrain_due(days, "2012-02-01", NEWEST, month)
    assert retrain_due(days, "2011-10-10", NEWEST, RollingStep.parse("3m"))
    with pytest.raises(ValueError, match="bad retrain window 'rolling'"):
        RetrainSchedule.parse("20d", "rolling")
    with pytest.raises(ValueError, match="bad step '20'"):
        RetrainSchedule.parse("20")


def test_a_due_retrain_registers_a_run_and_the_routine_trades_it(
    sliced: Slice, chosen: str, paper: PaperBroker
) -> None:
    registry = RunRegistry(sliced.data_dir)
    before = {r.run_id for r in registry.runs()}
    items = _close(sliced, chosen, paper, RetrainSchedule.parse("20d", "sliding"))
    steps = [x for x in items if isinstance(x, StepDone)]
    assert [x.step for x in steps] == ["retrain", "score", "plan", "queue"]
    assert any(isinstance(x, StepProgress) and x.step == "retrain" for x in items)  # the training job's progress
    done = steps[0].figures
    new = done["run"]
    assert done["outcome"] == "switched" and done["from"] == chosen and done["day"] == NEWEST
    assert {r.run_id for r in registry.runs()} - before == {new}
    assert steps[1].figures["run"] == new and steps[1].figures["day"] == NEWEST
    # One walk-forward step: the segments moved to the newest day, the labels learnt end before it.
    days = _calendar(sliced)
    train, valid, test = registry.get(new).config["dataset"]["segments"].split(",")
    assert test == f"{NEWEST}:{NEWEST}" and done["window"] == "sliding"
    assert valid.split(":")[1] == days[days.index(NEWEST) - 3]  # Ref($close, -2) read up to the day before
    assert train.split(":")[0] > "2011-01-01"  # sliding: the start moved with the window
    assert RetrainState(sliced.data_dir).entry(chosen).active == new
    assert RetrainState(sliced.data_dir).entry(chosen).window == "sliding"  # kept for the next retrain

    again = [x for x in _close(sliced, chosen, paper, RetrainSchedule.parse("20d")) if isinstance(x, StepDone)]
    assert again[0].figures["outcome"] == "not due" and again[0].figures["since"] == NEWEST
    assert again[0].figures["run"] == new and again[1].figures["run"] == new
    assert {r.run_id for r in registry.runs()} - before == {new}  # not retrained twice


def test_a_failed_retrain_keeps_the_old_run_and_says_why(sliced: Slice, chosen: str, paper: PaperBroker) -> None:
    registry = RunRegistry(sliced.data_dir)
    _set_params(registry, chosen, lambda_l2=1e9, min_data_in_leaf=100_000)  # settings under which no tree splits
    before = {r.run_id for r in registry.runs()}
    steps = [x for x in _close(sliced, chosen, paper, RetrainSchedule.parse("1m")) if isinstance(x, StepDone)]
    assert [x.step for x in steps] == ["retrain", "score", "plan", "queue"]  # the old run still trades today
    done = steps[0].figures
    assert done["outcome"] == "kept" and done["run"] == chosen and steps[1].figures["run"] == chosen
    assert "every prediction is the same value" in done["reason"] and "min_data_in_leaf (now 100000)" in done["reason"]
    assert {r.run_id for r in registry.runs()} == before  # nothing registered
    entry = RetrainState(sliced.data_dir).entry(chosen)
    assert (entry.active, entry.tried_day, entry.last_day, entry.outcome) == (chosen, NEWEST, "", "kept")
    again = [x for x in _close(sliced, chosen, paper, RetrainSchedule.parse("1m")) if isinstance(x, StepDone)]
    assert again[0].figures["outcome"] == "not due"  # tried today: the next close tries again


def test_a_deleted_retrained_run_hands_back_to_the_chosen_one(sliced: Slice, chosen: str) -> None:
    from core.routine.retrain import RetrainDone, RetrainEntry, retrain

    state = RetrainState(sliced.data_dir)
    state.record(chosen, RetrainEntry("20120101-000000-lightgbm-gone", "2012-02-01", NEWEST, "switched"))
    [done] = list(retrain(sliced.data_dir, chosen, RetrainSchedule.parse("1m"), _calendar(sliced)))
    assert isinstance(done, RetrainDone) and (done.outcome, done.run) == ("not due", chosen)  # tried today already
    assert state.entry(chosen) == RetrainEntry(chosen, tried_day=NEWEST)


def _set_params(registry: RunRegistry, run_id: str, **params: object) -> None:
    """Change a registered run's hyper-parameters, as if it had been trained with them."""
    config = registry.get(run_id).config
    config["params"] = {**config["params"], **params}
    with sqlite3.connect(registry.path) as conn:
        conn.execute("UPDATE runs SET config = ? WHERE run_id = ?", (json.dumps(config), run_id))
    conn.close()
