"""JobRunner: reports and the end of a job reach the GUI thread; a finished job frees the runner at once."""

from __future__ import annotations

import time
from collections.abc import Iterator

from app.job_runner import JobFinished, JobRunner
from core.jobs import CancelToken, Progress


def _steps(n: int) -> object:
    def job(token: CancelToken) -> Iterator[Progress]:
        for i in range(n):
            token.raise_if_cancelled()
            yield Progress(i + 1, n)

    return job


class _SlowToFree:
    """Stands for a big job (a model, its datasets): freeing it keeps the worker thread alive a while."""

    def __del__(self) -> None:
        time.sleep(0.05)


def _heavy(n: int) -> object:
    held = _SlowToFree()

    def job(token: CancelToken) -> Iterator[Progress]:
        assert held is not None
        yield from _steps(n)(token)  # type: ignore[operator]

    return job


def test_a_listener_can_start_the_next_job_from_the_finished_signal(qtbot) -> None:
    runner = JobRunner()
    finished: list[JobFinished] = []
    started: list[bool] = []
    # The worker is still freeing the job when its end reaches the GUI thread.
    queue = [f"job {i}" for i in range(2, 11)]

    def on_finished(event: JobFinished) -> None:
        finished.append(event)
        if queue:  # as the training queue does: the next job starts from this signal
            started.append(runner.start(queue.pop(0), _heavy(1)))  # type: ignore[arg-type]

    runner.sig_finished.connect(on_finished)
    reports: list[object] = []
    runner.sig_reported.connect(reports.append)
    assert runner.start("first", _heavy(3))  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: len(finished) == 10 or not all(started), timeout=20_000)
    assert started == [True] * 9
    assert [f.job for f in finished] == ["first"] + [f"job {i}" for i in range(2, 11)]
    assert not any(f.cancelled or f.error for f in finished) and len(reports) == 3 + 9
    runner.wait(5)
    assert not runner.busy


def test_start_is_refused_while_a_job_runs_and_cancel_ends_it(qtbot) -> None:
    runner = JobRunner()

    def endless(token: CancelToken) -> Iterator[Progress]:
        while True:
            token.raise_if_cancelled()
            yield Progress(0, 0)

    assert runner.start("endless", endless)
    assert not runner.start("other", _steps(1))  # type: ignore[arg-type]
    with qtbot.waitSignal(runner.sig_finished, timeout=10_000) as done:
        runner.cancel()
    assert done.args[0].cancelled and not runner.busy


def test_the_runner_stays_busy_until_the_window_has_seen_the_job_end(qtbot) -> None:
    runner = JobRunner()
    assert runner.start("quick", _steps(1))  # type: ignore[arg-type]
    runner.wait(10)  # the worker thread has exited; its JobFinished waits in the GUI thread's queue
    assert runner.busy and not runner.start("second", _steps(1))  # type: ignore[arg-type]
    with qtbot.waitSignal(runner.sig_finished, timeout=10_000) as done:
        pass
    assert done.args[0].job == "quick" and not runner.busy
