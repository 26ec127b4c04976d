"""The desktop's daily schedule through the real presenters: a whole day on the paper account, and a failure."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.daily_schedule import DailySchedule, RoutineOutcome, build_daily_schedule
from app.monitor_notify import AlertNotifier
from app.orders_presenter import OrdersPresenter
from core.events import EventBus
from core.jobs import JobEnded, JobRegistry, JobStarted
from core.monitor.config import MonitorConfig
from core.routine.schedule import ScheduleState
from core.settings import AppSettings
from core.trading.accounts import paper_service
from tests.core.research.slices import Slice
from tests.core.routine.conftest import trained  # noqa: F401  (the session's small trained run)
from widgets.orders_panel import OrdersPanel

FRIDAY = dt.date(2012, 3, 30)  # the slice's newest stored day
MONDAY = dt.date(2012, 4, 2)  # the next session


class Clock:
    """The injected wall clock (naive Beijing time): tests move it, nothing sleeps."""

    def __init__(self, now: dt.datetime) -> None:
        self.now = now

    def __call__(self) -> dt.datetime:
        return self.now


def _desk(qtbot: QtBot, data_dir: Path, run_id: str, clock: Clock, folder: Path) -> tuple:
    service = paper_service(folder, None, replay=False)
    service.broker.clock = clock  # type: ignore[method-assign]
    panel = OrdersPanel()
    qtbot.addWidget(panel)
    orders = OrdersPresenter(panel, service, None, {})
    notifier = AlertNotifier(MonitorConfig(tray=False, sound=False))
    bus = EventBus()
    seen: list[object] = []
    bus.subscribe(seen.append)
    settings = AppSettings(routine_run=run_id, routine_topk=5, routine_n_drop=1).validated()
    schedule = build_daily_schedule(data_dir, settings, service, notifier.announce, JobRegistry(bus), False, clock)
    assert isinstance(schedule, DailySchedule) and schedule.at == dt.time(15, 30)
    schedule.state = ScheduleState(folder)  # the day last run, kept beside this test's account
    return service, orders, panel, notifier, schedule, seen


def _finish(qtbot: QtBot, schedule: DailySchedule) -> RoutineOutcome:
    with qtbot.waitSignal(schedule.sig_finished, timeout=300_000) as blocker:
        assert schedule.tick() is not None
    outcome = blocker.args[0]
    assert isinstance(outcome, RoutineOutcome)
    return outcome


def test_a_day_after_the_close_queues_the_plan_and_the_open_releases_it(
    qtbot: QtBot,
    trained: tuple[Slice, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    s, run_id = trained
    clock = Clock(dt.datetime(2012, 3, 30, 15, 29))
    service, orders, panel, notifier, schedule, seen = _desk(qtbot, s.data_dir, run_id, clock, tmp_path)
    assert schedule.tick() is None  # before 15:30 nothing runs
    clock.now = dt.datetime(2012, 3, 31, 16, 0)
    assert schedule.tick() is None  # a Saturday: no session, no routine
    clock.now = dt.datetime(2012, 3, 30, 15, 30)
    outcome = _finish(qtbot, schedule)
    assert outcome.outcome == "done" and outcome.day == FRIDAY and not notifier.notices
    assert [step.step for step in outcome.steps] == ["score", "plan", "queue"]
    queued = service.queued()
    assert queued and {q.session for q in queued} == {MONDAY} and {q.status for q in queued} == {"queued"}
    assert outcome.steps[-1].figures["queued"] == len(queued) == outcome.steps[1].figures["orders"]
    started = [e for e in seen if isinstance(e, JobStarted)]
    assert [e.name for e in started] == [f"daily routine {FRIDAY}"] and any(isinstance(e, JobEnded) for e in seen)
    orders.refresh()
    assert panel.queued_table.rowCount() == len(queued) and service.broker.orders() == []
    assert schedule.tick() is None  # once a day, even for a schedule made after a restart:
    again = DailySchedule(lambda day: pytest.fail("ran twice"), ScheduleState(tmp_path), clock, schedule.at, print)
    assert again.tick() is None
    clock.now = dt.datetime(2012, 4, 2, 9, 29)
    assert orders.release_due() == []  # not yet the open
    clock.now = dt.datetime(2012, 4, 2, 9, 30)
    results = orders.release_due()
    assert len(results) == len(queued)
    sent = {o.client_id for o in service.broker.orders()}
    assert sent == {q.request.client_id for q in queued} and {q.status for q in service.queued()} == {"released"}


def test_a_failing_step_alerts_once_with_its_reason_and_queues_nothing(
    qtbot: QtBot,
    trained: tuple[Slice, str],  # noqa: F811
    tmp_path: Path,
) -> None:
    s, run_id = trained
    clock = Clock(dt.datetime(2012, 4, 2, 15, 45))  # Monday: the store was not updated with its bars
    service, orders, panel, notifier, schedule, _ = _desk(qtbot, s.data_dir, run_id, clock, tmp_path)
    outcome = _finish(qtbot, schedule)
    assert outcome.outcome == "failed" and service.queued() == []
    assert len(notifier.notices) == 1
    title = notifier.notices[0].rule.title
    assert title == outcome.reason and "\n" not in title
    assert title.startswith("Daily routine 2012-04-02 failed at start:") and "no bars for 2012-04-02" in title
    assert schedule.tick() is None and len(notifier.notices) == 1  # recorded: no alert at every check
    assert ScheduleState(tmp_path).last_day() == MONDAY


def test_settings_choose_the_run_and_time_and_refuse_a_time_before_the_close(qtbot: QtBot, tmp_path: Path) -> None:
    from core.settings import load_settings
    from tests.app.test_settings_presenter import make
    from tests.fakes.memory_keyring import MemoryKeyring

    presenter, applied = make(qtbot, tmp_path, MemoryKeyring())
    dialog = presenter.dialog
    assert dialog is not None and dialog.routine_at_edit.text() == "15:30" and dialog.routine_run_edit.text() == ""
    dialog.routine_run_edit.setText(" run-7 ")
    dialog.routine_at_edit.setText("14:45")
    dialog.sig_save_requested.emit(dialog.form())
    assert "must be after the 15:00 close" in dialog.message.text() and not applied  # nothing saved
    dialog.routine_at_edit.setText("16:10")
    dialog.routine_topk.setValue(3)
    dialog.routine_n_drop.setValue(4)
    dialog.sig_save_requested.emit(dialog.form())
    assert "at most TopK" in dialog.message.text() and not applied
    dialog.routine_n_drop.setValue(1)
    dialog.sig_save_requested.emit(dialog.form())
    saved = load_settings(tmp_path / "settings.json")
    assert (saved.routine_run, saved.routine_close_at, saved.routine_topk, saved.routine_n_drop) == (
        "run-7",
        "16:10",
        3,
        1,
    )
    assert presenter.notice is not None and "daily routine change at the next start" in presenter.notice.text()
    presenter.notice.close()


def test_the_signals_dock_shows_the_routine_and_cancels_it(qtbot: QtBot, tmp_path: Path) -> None:
    import threading

    from app.daily_schedule import show_schedule_in
    from core.jobs import CancelToken
    from core.routine.daily import StepProgress
    from widgets.signals_panel import SignalsPanel

    proceed = threading.Event()

    def close_job(day: dt.date):  # type: ignore[no-untyped-def]
        def job(token: CancelToken):  # type: ignore[no-untyped-def]
            yield StepProgress(0, 1, "reading features", step="score")
            proceed.wait(60)  # until the test has clicked Cancel: no race with a fast finish
            token.raise_if_cancelled()
            yield StepProgress(1, 1, "never reached", step="plan")

        return job

    alerts: list[object] = []
    clock = Clock(dt.datetime(2012, 3, 30, 15, 31))
    schedule = DailySchedule(close_job, ScheduleState(tmp_path), clock, dt.time(15, 30), alerts.append)
    panel = SignalsPanel()
    qtbot.addWidget(panel)
    show_schedule_in(panel, schedule)
    assert panel.routine_label.text() == "Daily routine after 15:30 (Beijing)"
    assert panel.routine_cancel_button.isHidden()
    with qtbot.waitSignal(schedule.sig_finished, timeout=60_000) as blocker:
        assert schedule.tick() == FRIDAY
        qtbot.waitUntil(lambda: "reading features" in panel.routine_label.text(), timeout=10_000)
        assert not panel.routine_cancel_button.isHidden()
        panel.routine_cancel_button.click()
        proceed.set()
    assert blocker.args[0].outcome == "cancelled" and alerts == []  # cancelling is no failure
    assert (
        panel.routine_label.text() == "Daily routine 2012-03-30: cancelled" and panel.routine_cancel_button.isHidden()
    )
    assert ScheduleState(tmp_path).last_day() == FRIDAY


def test_a_signals_dock_built_after_the_routine_ran_shows_how_it_ended(qtbot: QtBot, tmp_path: Path) -> None:
    from app.daily_schedule import RoutineLine, show_schedule_in
    from core.jobs import CancelToken
    from core.routine.daily import StepProgress
    from widgets.signals_panel import SignalsPanel

    def close_job(day: dt.date):  # type: ignore[no-untyped-def]
        def job(token: CancelToken):  # type: ignore[no-untyped-def]
            yield StepProgress(0, 1, "reading features", step="score")
            raise RuntimeError(f"{day}: score: no features stored")

        return job

    alerts: list[object] = []
    clock = Clock(dt.datetime(2012, 3, 30, 15, 31))
    schedule = DailySchedule(close_job, ScheduleState(tmp_path), clock, dt.time(15, 30), alerts.append)
    line = RoutineLine(schedule)  # followed from launch, as the desk does; the dock is not built yet
    assert (line.text, line.running) == ("Daily routine after 15:30 (Beijing)", False)
    with qtbot.waitSignal(schedule.sig_finished, timeout=60_000):
        assert schedule.tick() == FRIDAY
    assert not line.running and "no features stored" in line.text

    panel = SignalsPanel()  # the dock shown for the first time after the routine failed
    qtbot.addWidget(panel)
    show_schedule_in(panel, schedule, line)
    assert panel.routine_label.text() == line.text and panel.routine_cancel_button.isHidden()
