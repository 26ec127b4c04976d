"""The desktop's daily schedule: after the close, the routine (update → score → plan → queue) as a job.

A timer asks the injected clock whether the day's after-close routine is due (core.routine.schedule);
the routine runs through the job runner (progress in the jobs monitor, cancellable), and a failing step
raises an alert through the monitor's notifier (log, tray, sound, webhooks) with a one-line reason.
At the open the Orders dock releases what was queued (TradingService.release_queued), as it does for
any queued order.
"""

from __future__ import annotations

import datetime as dt
import itertools
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from app.job_runner import JobFinished, JobRunner
from core.data.exchange_calendar import store_calendar
from core.jobs import CancelToken, JobRegistry
from core.monitor.alerts import AlertNotice, AlertRule, NoticeKind, Severity
from core.routine.daily import StepDone, StepProgress
from core.routine.schedule import ScheduleState, close_due, parse_close_at
from core.settings import AppSettings

if TYPE_CHECKING:
    from core.trading.service import TradingService
    from widgets.signals_panel import SignalsPanel

log = logging.getLogger(__name__)
CHECK_MS = 20_000  # how often the clock is asked: the routine starts within this of its time
ROUTINE_RULE_KEY = "daily_routine"
_alert_ids = itertools.count(1_000_000)  # apart from the monitor engine's own alert ids

CloseJob = Callable[[dt.date], Callable[[CancelToken], Iterator[Any]]]


@dataclass(frozen=True, slots=True)
class RoutineOutcome:
    """How one day's after-close routine ended: 'done', 'skipped', 'failed' or 'cancelled'."""

    day: dt.date
    outcome: str
    steps: tuple[StepDone, ...]
    reason: str = ""


def routine_alert(reason: str, at: dt.datetime) -> AlertNotice:
    """A fired alert for the monitor's notifier: the title carries the one-line reason."""
    rule = AlertRule(ROUTINE_RULE_KEY, "routine.failed_steps", ">=", 1, severity=Severity.CRITICAL, title=reason)
    stamp = at.timestamp()
    return AlertNotice(NoticeKind.FIRED, next(_alert_ids), rule, 1.0, stamp, stamp)


class DailySchedule(QObject):
    """Starts `close_job(day)` once per session day after `at` (Beijing); one day's routine at a time."""

    sig_finished = Signal(object)  # RoutineOutcome, on the GUI thread

    def __init__(
        self,
        close_job: CloseJob,
        state: ScheduleState,
        clock: Callable[[], dt.datetime],
        at: dt.time,
        notify: Callable[[AlertNotice], None],
        jobs: JobRegistry | None = None,
        parent: QObject | None = None,
        is_session: Callable[[dt.date], bool] | None = None,
    ) -> None:
        super().__init__(parent)
        self.is_session = is_session  # the exchange calendar; None: every weekday
        self._close_job, self.state, self.clock, self.at, self._notify = close_job, state, clock, at, notify
        self.runner = JobRunner(self, jobs)
        self.runner.sig_reported.connect(self._on_runner_sig_reported)
        self.runner.sig_finished.connect(self._on_runner_sig_finished)
        self.day: dt.date | None = None
        self.steps: list[StepDone] = []
        self.step = ""  # the step in progress, for the failure's reason
        self.last: RoutineOutcome | None = None
        self.timer = QTimer(self)
        self.timer.setInterval(CHECK_MS)
        self.timer.timeout.connect(self.tick)

    def start(self) -> None:
        self.timer.start()
        self.tick()

    def stop(self) -> None:
        self.timer.stop()
        self.runner.cancel()

    @property
    def running(self) -> bool:
        return self.runner.busy

    def tick(self) -> dt.date | None:
        """Start the day's routine if it is due now; the day started, or None."""
        if self.runner.busy:
            return None
        day = close_due(self.clock(), self.at, self.state.last_day(), self.is_session)
        if day is None:
            return None
        self.day, self.steps, self.step = day, [], ""
        log.info("daily routine for %s starts", day)
        self.runner.start(f"daily routine {day}", self._close_job(day))
        return day

    def cancel(self) -> None:
        self.runner.cancel()

    def _on_runner_sig_reported(self, report: object) -> None:
        if isinstance(report, StepProgress):
            self.step = report.step
        elif isinstance(report, StepDone):
            self.steps.append(report)
            self.step = ""

    def _on_runner_sig_finished(self, finished: JobFinished) -> None:
        assert self.day is not None
        skipped = any(s.step == "skipped" for s in self.steps)
        outcome = (
            "cancelled" if finished.cancelled else "failed" if finished.error else "skipped" if skipped else "done"
        )
        reason = ""
        if finished.error:
            where = self.step or (f"after {self.steps[-1].step}" if self.steps else "start")
            first_line = finished.error.strip().splitlines()[0] if finished.error.strip() else "unknown error"
            reason = f"Daily routine {self.day} failed at {where}: {first_line}"
        elif skipped:
            reason = str(next(s for s in self.steps if s.step == "skipped").figures.get("reason", ""))
        # Recorded whatever the end, so a failure alerts once, not at every check; the user reruns by hand.
        self.state.record(self.day, outcome)
        self.last = RoutineOutcome(self.day, outcome, tuple(self.steps), reason)
        log.log(logging.ERROR if finished.error else logging.INFO, "daily routine %s: %s %s", self.day, outcome, reason)
        if finished.error:
            self._notify(routine_alert(reason, self.clock()))
        self.sig_finished.emit(self.last)


def close_job(
    data_dir: Path, settings: AppSettings, trading: TradingService, bridge: bool, actor: str = "schedule"
) -> CloseJob:
    """The after-close routine of `settings.routine_run` with TopK/drop from the settings, on `trading`'s account;
    with a bridge the day's bars are downloaded first (a weekday the bridge has no bars for is skipped); with
    `settings.routine_retrain` the run is retrained when due before it scores."""
    from core.routine.daily import bridge_update, run_close
    from core.routine.retrain import RetrainSchedule
    from core.strategy.topk_dropout import TopkDropoutStrategy

    retrain = (
        RetrainSchedule.parse(settings.routine_retrain, settings.routine_retrain_window or None)
        if settings.routine_retrain
        else None
    )

    def for_day(day: dt.date) -> Callable[[CancelToken], Iterator[Any]]:
        def job(cancel: CancelToken) -> Iterator[Any]:
            strategy = TopkDropoutStrategy(settings.routine_topk, settings.routine_n_drop)
            update = bridge_update(data_dir, settings.bridge_url, day, None, settings.bridge_ca_file or None)
            return run_close(
                data_dir,
                settings.routine_run,
                strategy,
                trading.broker,
                trading,
                update_bars=update if bridge else None,
                cancel=cancel,
                actor=actor,
                day=day,
                skip_missing=bridge,
                retrain=retrain,
            )

        return job

    return for_day


def build_daily_schedule(
    data_dir: Path,
    settings: AppSettings,
    trading: TradingService,
    notify: Callable[[AlertNotice], None],
    jobs: JobRegistry | None,
    bridge: bool,
    clock: Callable[[], dt.datetime] | None = None,
    parent: QObject | None = None,
) -> DailySchedule | None:
    """The schedule Settings ask for (a run chosen), or None; the clock is the trading account's by default."""
    if not settings.routine_run:
        return None
    return DailySchedule(
        close_job(data_dir, settings, trading, bridge),
        ScheduleState(data_dir),
        clock or trading.broker.clock,
        parse_close_at(settings.routine_close_at),
        notify,
        jobs,
        parent,
        # Read when due: the routine's bridge update may have just stored the calendar ahead.
        is_session=lambda day: store_calendar(data_dir).is_session(day),
    )


class RoutineLine(QObject):
    """What the Signals dock says of the routine (its step while it runs, how it last ended), kept from launch so
    a dock built later shows it too."""

    sig_changed = Signal(str, bool)  # text, running

    def __init__(self, schedule: DailySchedule) -> None:
        super().__init__(schedule)
        self.text = _tr("Daily routine after {at} (Beijing)").format(at=schedule.at.strftime("%H:%M"))
        self.running = False
        self._schedule = schedule
        schedule.runner.sig_reported.connect(self._on_runner_sig_reported)
        schedule.sig_finished.connect(self._on_schedule_sig_finished)

    def _set(self, text: str, running: bool) -> None:
        self.text, self.running = text, running
        self.sig_changed.emit(text, running)

    def _on_runner_sig_reported(self, report: object) -> None:
        if isinstance(report, StepProgress | StepDone):
            what = report.message if isinstance(report, StepProgress) else _tr("done")
            text = _tr("Daily routine {day}: {step} {what}")
            self._set(text.format(day=self._schedule.day, step=report.step, what=what), True)

    def _on_schedule_sig_finished(self, outcome: RoutineOutcome) -> None:
        words = {
            "done": _tr("orders queued"),
            "skipped": _tr("skipped"),
            "failed": _tr("failed"),
            "cancelled": _tr("cancelled"),
        }
        text = _tr("Daily routine {day}: {outcome}").format(day=outcome.day, outcome=words[outcome.outcome])
        # A failure's reason names the day and the step itself; a skip says why.
        shown = (
            outcome.reason if outcome.outcome == "failed" else text + (f" ({outcome.reason})" if outcome.reason else "")
        )
        self._set(shown + retrain_note(outcome.steps), False)


def show_schedule_in(panel: SignalsPanel, schedule: DailySchedule, line: RoutineLine | None = None) -> None:
    """The Signals dock shows the routine's step while it runs, with Cancel, and how it last ended.

    `line` is the routine's line followed since launch, when the dock is built after the routine has reported.
    """
    line = line or RoutineLine(schedule)
    line.sig_changed.connect(panel.set_routine)
    panel.sig_cancel_routine_requested.connect(schedule.cancel)
    panel.set_routine(line.text, line.running)


def retrain_note(steps: tuple[StepDone, ...]) -> str:
    """What the day's retrain did, for the routine's line: '' when it was not due or not asked for."""
    done = next((s.figures for s in steps if s.step == "retrain"), None)
    if done is None or done.get("outcome") == "not due":
        return ""
    if done.get("outcome") == "switched":
        return " · " + _tr("retrained: now trading {run}").format(run=done.get("run"))
    return " · " + _tr("retrain failed, {run} still trades: {reason}").format(
        run=done.get("run"), reason=done.get("reason")
    )


def _tr(text: str) -> str:
    return QCoreApplication.translate("DailySchedule", text)
