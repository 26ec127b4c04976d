"""The session's event bus and job registry: fan-out from many threads, failing handlers, stable job ids."""

from __future__ import annotations

import logging
import threading

import pytest

from core.events import EventBus, JobEnded, JobProgressed, JobStarted, RunDeleted
from core.jobs import JobRegistry, JobStatus, Progress


def test_a_failing_handler_is_logged_and_the_others_still_hear(caplog: pytest.LogCaptureFixture) -> None:
    bus = EventBus()
    heard: list[object] = []

    def broken(event: object) -> None:
        raise RuntimeError("dock gone")

    bus.subscribe(broken)
    stop = bus.subscribe(heard.append)
    with caplog.at_level(logging.ERROR, logger="core.events"):
        bus.publish(RunDeleted("r1"))
    assert heard == [RunDeleted("r1")]
    assert "broken" in caplog.text and "dock gone" in caplog.text
    stop()
    stop()  # a second unsubscribe is harmless
    bus.publish(RunDeleted("r2"))
    assert heard == [RunDeleted("r1")]


def test_publishing_from_many_threads_while_handlers_come_and_go() -> None:
    bus = EventBus()
    heard: list[object] = []
    lock = threading.Lock()

    def keep(event: object) -> None:
        with lock:
            heard.append(event)

    bus.subscribe(keep)
    start = threading.Barrier(9)

    def publish(n: int) -> None:
        start.wait()
        for i in range(200):
            bus.publish(RunDeleted(f"{n}-{i}"))

    def churn() -> None:
        start.wait()
        for _ in range(200):
            bus.subscribe(lambda event: None)()

    threads = [threading.Thread(target=publish, args=(n,)) for n in range(8)] + [threading.Thread(target=churn)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(e.run_id for e in heard) == sorted(f"{n}-{i}" for n in range(8) for i in range(200))  # type: ignore[attr-defined]


def test_jobs_get_stable_ids_progress_and_an_end() -> None:
    bus = EventBus()
    heard: list[object] = []
    bus.subscribe(heard.append)
    jobs = JobRegistry(bus)
    a, b = jobs.started("train"), jobs.started("train")  # the same name twice: two jobs
    assert a != b
    jobs.progressed(a, Progress(3, 4, "epoch 3"))
    jobs.progressed(b, "a result, not progress")
    assert jobs.running() == [JobStatus(a, "train", 0.75, "epoch 3"), JobStatus(b, "train")]
    jobs.ended(a, error="ValueError: bad")
    jobs.ended(a)  # reported twice: announced once
    jobs.progressed(a, Progress(4, 4))  # late report of an ended job: ignored
    assert jobs.running() == [JobStatus(b, "train")]
    assert heard == [
        JobStarted(a, "train"),
        JobStarted(b, "train"),
        JobProgressed(a, "train", 0.75, "epoch 3"),
        JobEnded(a, "train", False, "ValueError: bad"),
    ]
    c = jobs.started("backtest")
    assert c not in (a, b)  # ids are never reused


def test_notable_jobs_reach_the_users_log_and_quick_ones_stay_at_debug(caplog: pytest.LogCaptureFixture) -> None:
    now = [100.0]
    jobs = JobRegistry(clock=lambda: now[0])
    caplog.set_level(logging.DEBUG, logger="core.jobs")
    quick, slow, stopped, broken = (jobs.started(name) for name in ("chart", "import", "train", "backtest"))
    now[0] += 0.2
    jobs.ended(quick)
    now[0] += 12.0
    jobs.ended(slow)
    jobs.ended(stopped, cancelled=True)
    jobs.ended(broken, error="no bars for 600000.SH")
    ended = [(r.levelname, r.getMessage()) for r in caplog.records if "started" not in r.getMessage()]
    assert ended == [
        ("DEBUG", "chart finished in 0.2 s"),
        ("INFO", "import finished in 12.2 s"),
        ("INFO", "train cancelled in 12.2 s"),
        ("WARNING", "backtest failed after 12.2 s: no bars for 600000.SH"),
    ]
