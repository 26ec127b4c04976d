"""The desktop's daily routine retraining its run on the schedule Settings ask for, driven by an injected clock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
from pytestqt.qtbot import QtBot

from app.daily_schedule import DailySchedule, RoutineOutcome, build_daily_schedule, show_schedule_in
from core.data.importer import import_one
from core.paths import store_path
from core.research.registry import RunRegistry
from core.routine.retrain import RetrainState
from core.routine.schedule import ScheduleState
from core.settings import AppSettings
from core.storage import MarketStore
from core.trading.accounts import paper_service
from tests.app.test_daily_schedule import Clock
from tests.core.research.slices import Slice
from tests.core.routine.test_retrain import chosen, sliced  # noqa: F401  (a small store ending 2012-02-29)
from widgets.signals_panel import SignalsPanel


def _schedule(qtbot: QtBot, s: Slice, run_id: str, clock: Clock, folder: Path) -> tuple[DailySchedule, SignalsPanel]:
    """The desktop's schedule as built at start (so also after a restart), showing in the Signals dock."""
    service = paper_service(folder, None, replay=False)
    service.broker.clock = clock  # type: ignore[method-assign]
    settings = AppSettings(routine_run=run_id, routine_topk=5, routine_n_drop=1, routine_retrain="20d").validated()
    schedule = build_daily_schedule(s.data_dir, settings, service, print, None, False, clock)
    assert schedule is not None
    schedule.state = ScheduleState(folder)
    panel = SignalsPanel()
    qtbot.addWidget(panel)
    show_schedule_in(panel, schedule)
    return schedule, panel


def _day(qtbot: QtBot, schedule: DailySchedule) -> dict[str, object]:
    with qtbot.waitSignal(schedule.sig_finished, timeout=300_000) as blocker:
        assert schedule.tick() is not None
    outcome = blocker.args[0]
    assert isinstance(outcome, RoutineOutcome) and outcome.outcome == "done", (outcome.reason, outcome.steps)
    assert [x.step for x in outcome.steps] == ["retrain", "score", "plan", "queue"]
    assert outcome.steps[1].figures["run"] == outcome.steps[0].figures["run"]  # the run that trades scores the day
    return outcome.steps[0].figures


def _store_through(s: Slice, cn_data: Path, after: str, until: str, tmp: Path) -> None:
    """The bars of (after, until] arrive in the store, as the bridge update brings them."""
    store = MarketStore.open(store_path(s.data_dir))
    try:
        for symbol in s.symbols:
            frame = pd.read_csv(cn_data / "daily" / f"{symbol}.csv", dtype={"date": str})
            path = tmp / f"{symbol}.csv"
            frame[(frame["date"] > after) & (frame["date"] <= until)].to_csv(path, index=False)
            assert import_one(store, path).ok
    finally:
        store.close()


def test_the_routine_retrains_when_due_by_trading_days_and_remembers_it_across_restarts(
    qtbot: QtBot,
    sliced: Slice,  # noqa: F811
    chosen: str,  # noqa: F811
    cn_data: Path,
    tmp_path: Path,
) -> None:
    registry = RunRegistry(sliced.data_dir)
    clock = Clock(dt.datetime(2012, 2, 29, 15, 30))
    schedule, panel = _schedule(qtbot, sliced, chosen, clock, tmp_path)
    first = _day(qtbot, schedule)  # 95 trading days since the run's test segment opened: due
    assert first["outcome"] == "switched" and first["from"] == chosen and first["day"] == "2012-02-29"
    retrained = str(first["run"])
    assert registry.get(retrained).config["dataset"]["segments"].endswith("2012-02-29:2012-02-29")
    assert f"retrained: now trading {retrained}" in panel.routine_label.text()

    (tmp_path / "bars").mkdir()
    _store_through(sliced, cn_data, "2012-02-29", "2012-03-16", tmp_path / "bars")
    clock.now = dt.datetime(2012, 3, 16, 15, 31)
    schedule, panel = _schedule(qtbot, sliced, chosen, clock, tmp_path)  # the desktop restarted
    second = _day(qtbot, schedule)  # 12 trading days after the retrain: not due, the retrained run trades
    assert second == {"outcome": "not due", "run": retrained, "since": "2012-02-29", "every": "20d"}
    assert "retrain" not in panel.routine_label.text()

    _store_through(sliced, cn_data, "2012-03-16", "2012-03-29", tmp_path / "bars")
    clock.now = dt.datetime(2012, 3, 29, 16, 0)
    third = _day(qtbot, schedule)  # the 20th trading day after the retrain
    assert third["outcome"] == "switched" and third["from"] == retrained and third["run"] != retrained
    assert RetrainState(sliced.data_dir).entry(chosen).last_day == "2012-03-29"


def test_settings_set_the_retrain_schedule_and_refuse_a_bad_one(qtbot: QtBot, tmp_path: Path) -> None:
    from core.settings import load_settings
    from tests.app.test_settings_presenter import make
    from tests.fakes.memory_keyring import MemoryKeyring

    presenter, applied = make(qtbot, tmp_path, MemoryKeyring())
    dialog = presenter.dialog
    assert dialog is not None and dialog.routine_retrain_edit.text() == ""
    dialog.routine_run_edit.setText("run-7")
    dialog.routine_retrain_edit.setText("20")
    dialog.sig_save_requested.emit(dialog.form())
    assert "Retrain the run every: bad step '20'" in dialog.message.text() and not applied  # nothing saved
    dialog.routine_retrain_edit.setText(" 20D ")
    dialog.routine_window_box.setCurrentIndex(dialog.routine_window_box.findData("sliding"))
    dialog.sig_save_requested.emit(dialog.form())
    saved = load_settings(tmp_path / "settings.json")
    assert (saved.routine_retrain, saved.routine_retrain_window) == ("20d", "sliding")
    assert presenter.notice is not None and "daily routine change at the next start" in presenter.notice.text()
    presenter.notice.close()
    assert AppSettings(routine_retrain="weekly", routine_retrain_window="sliding").validated().routine_retrain == ""
