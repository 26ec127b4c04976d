"""Session facts on the GUI thread: one relay, handlers by type, and jobs the monitor lists by the registry's ids."""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.events import GuiEvents
from app.job_runner import JobRunner
from app.monitor_presenter import MonitorPresenter
from app.monitor_sampling import MonitorSources
from core.events import EventBus, JobEnded, JobStarted, RunDeleted, RunRegistered
from core.jobs import CancelToken, JobRegistry, Progress
from core.monitor.config import MonitorConfig
from widgets.monitor_panel import MonitorPanel


def test_facts_from_a_worker_thread_reach_gui_handlers_by_type(qtbot: QtBot, caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    events = GuiEvents(bus)
    gui = threading.get_ident()
    heard: list[tuple[object, bool]] = []

    def broken(event: RunRegistered) -> None:
        raise RuntimeError("stale dock")

    events.on(RunRegistered, broken)
    events.on(RunRegistered, lambda e: heard.append((e, threading.get_ident() == gui)))
    stop = events.on(RunDeleted, lambda e: heard.append((e, threading.get_ident() == gui)))
    worker = threading.Thread(target=lambda: (bus.publish(RunRegistered("r1", "mlp")), bus.publish(RunDeleted("r1"))))
    with caplog.at_level(logging.ERROR, logger="app.events"):
        worker.start()
        worker.join()
        qtbot.waitUntil(lambda: len(heard) == 2, timeout=5000)
    assert heard == [(RunRegistered("r1", "mlp"), True), (RunDeleted("r1"), True)]  # in order, on the GUI thread
    assert "stale dock" in caplog.text  # the failing handler is logged; the next one still ran
    stop()
    bus.publish(RunDeleted("r2"))  # from the GUI thread: delivered at once, to nobody now
    assert len(heard) == 2


def test_the_monitor_lists_runner_jobs_by_the_registry(qtbot: QtBot, tmp_path: Path) -> None:
    bus = EventBus()
    jobs = JobRegistry(bus)
    facts: list[object] = []
    events = GuiEvents(bus)
    events.on(JobStarted, facts.append)
    events.on(JobEnded, facts.append)
    panel = MonitorPanel()
    qtbot.addWidget(panel)
    panel.show()
    clock = [1_700_000_000.0]
    presenter = MonitorPresenter(
        panel, MonitorSources(tmp_path, jobs=jobs), MonitorConfig(), clock=lambda: clock[0], start=False
    )

    def sample() -> None:
        clock[0] += 1.0  # a second later: the app collector is due again
        presenter.refresh()

    halfway, release = threading.Event(), threading.Event()

    def job(token: CancelToken) -> Iterator[Progress]:
        yield Progress(1, 4, "epoch 1")
        halfway.set()
        release.wait(30)
        yield Progress(4, 4, "epoch 4")

    training, backtest = JobRunner(jobs=jobs), JobRunner(jobs=jobs)
    try:
        assert panel.metric_text("app", "app.jobs_running") == "0"
        assert training.start("train mlp", job) and backtest.start("train mlp", job)  # one name, two jobs
        assert training.job_id != backtest.job_id
        assert halfway.wait(30)
        qtbot.waitUntil(lambda: [s.fraction for s in jobs.running()] == [0.25, 0.25], timeout=5000)
        sample()
        assert panel.metric_text("app", "app.jobs_running") == "2"
        assert panel.metric_text("app", "app.jobs") == "train mlp 25%, train mlp 25%"
        with qtbot.waitSignals([training.sig_finished, backtest.sig_finished], timeout=10_000):
            release.set()
        sample()
        assert panel.metric_text("app", "app.jobs_running") == "0" and jobs.running() == []
        qtbot.waitUntil(lambda: len(facts) == 4, timeout=5000)
        started = {f.job_id for f in facts if isinstance(f, JobStarted)}
        assert started == {training.job_id, backtest.job_id} == {f.job_id for f in facts if isinstance(f, JobEnded)}
    finally:
        release.set()
        training.wait(10)
        backtest.wait(10)
        presenter.shutdown()


def test_a_registered_run_is_the_monitors_model_at_the_next_tick(qtbot: QtBot, tmp_path: Path) -> None:
    import pandas as pd

    from core.monitor.sources import registry_model_source
    from core.research.registry import RunRegistry

    bus = EventBus()
    events = GuiEvents(bus)
    panel = MonitorPanel()
    qtbot.addWidget(panel)
    panel.show()
    presenter = MonitorPresenter(
        panel,
        MonitorSources(tmp_path, model=registry_model_source(tmp_path)),
        MonitorConfig(),
        clock=lambda: 1_700_000_000.0,  # time stands still: only the fact makes the models row due again
        start=False,
        events=events,
    )
    try:
        assert panel.metric_text("models", "model.name") == "n/a"
        registry = RunRegistry(tmp_path, bus)
        folder = registry.run_dir("run-1")
        folder.mkdir(parents=True)
        (folder / "model.txt").write_text("tree\n", encoding="utf-8")
        index = pd.MultiIndex.from_tuples([(pd.Timestamp("2022-12-30"), "SH600000")], names=["datetime", "instrument"])
        predictions = pd.DataFrame({"score": [0.1]}, index=index)
        registry.record("run-1", {"model": "mlp"}, {"ic": 0.03}, predictions, folder / "model.txt", ("a", "b"))
        presenter.refresh()
        assert panel.metric_text("models", "model.name") == "mlp · run-1"
    finally:
        presenter.shutdown()
