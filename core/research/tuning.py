"""Hyper-parameter studies: Optuna (TPE, median pruning) over a model's parameters, scored on the valid segment.

`run_study` is a plain generator like the training job: it yields StageProgress while the dataset is
built, TrialStarted/TrialFinished as trials run, and StudyFinished last, after the best trial (of every
session of the study) is retrained, scored once on the test segment and registered as a normal run.
Studies live in Optuna's RDB storage on a SQLite file in the data folder; the same name resumes.

`workers` trials run at once on threads of this process: the dataset's arrays are shared, not copied
or pickled per trial, and LightGBM and PyTorch release the GIL in their kernels; each LightGBM trial
gets cpu_count // workers threads so K trials do not oversubscribe the cores. With `ray`, trials run as
Ray tasks (core/research/execution.py) on the user's cluster and the dataset goes to its object store once;
asking Optuna for parameters, its pruner's verdicts between epochs and telling it results stay here, next
to the SQLite storage.
"""

from __future__ import annotations

import concurrent.futures
import math
import os
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.jobs import Cancelled, CancelToken
from core.research.config import StartTraining
from core.research.execution import Executor, make_executor
from core.research.registry import RunRegistry
from core.research.search_space import Choice, Range, Space, space_to_dict, suggest
from core.research.study_request import StartStudy, StudyFinished, TrialFinished, TrialStarted
from core.research.study_store import check_compatible, open_study, space_from_dict, study_attrs
from core.research.training import RunFinished, StageProgress, prepare_dataset, run_training
from core.research.trial_task import TrialOutcome, TrialTask, fit_trial

if TYPE_CHECKING:
    import optuna


def run_study(
    request: StartStudy,
    data_dir: Path,
    cancel: CancelToken | None = None,
    registry: RunRegistry | None = None,
    storage_file: Path | None = None,
    on_trial_start: Callable[[TrialStarted], None] | None = None,
) -> Generator[Any, None, None]:
    """Run `request` on the store in `data_dir`; `on_trial_start` is called on the trial's own thread."""
    from core.models import create_model

    cancel = cancel or CancelToken()
    data_dir = Path(data_dir)
    create_model(request.training.model, request.training.params)  # bad fixed parameters fail first
    study, space = _open(request, data_dir, storage_file)
    # Connect before the dataset build: an address that does not answer fails in seconds, not minutes.
    executor = make_executor(request.workers, request.ray)
    try:
        dataset, _ = yield from prepare_dataset(request.training, data_dir, cancel)
        run = _Run(executor, executor.share(dataset), cancel)  # shipped once, not per trial
        done = yield from _run_trials(study, request, space, run, on_trial_start)
    finally:
        executor.close()
    cancel.raise_if_cancelled()
    yield from _register_best(request, study, space, data_dir, cancel, registry, done)


def _run_trials(
    study: optuna.Study,
    request: StartStudy,
    space: Space,
    run: _Run,
    on_trial_start: Callable[[TrialStarted], None] | None,
) -> Generator[Any, None, int]:
    events: queue.Queue[Any] = queue.Queue()
    budget = _Budget(request.trials, request.timeout_s)
    threads = [
        threading.Thread(
            target=_worker,
            args=(study, request, space, run, budget, events, on_trial_start),
            name=f"study-{request.study}-{i}",
            daemon=True,
        )
        for i in range(min(run.executor.slots, request.trials))  # a big cluster: no idle askers
    ]
    for t in threads:
        t.start()
    done = 0
    try:
        running = len(threads)
        while running:
            event = events.get()
            if event is _WORKER_DONE:
                running -= 1
                continue
            if isinstance(event, BaseException):
                raise event
            if isinstance(event, TrialFinished):
                done += 1
            yield event
    finally:
        if any(t.is_alive() for t in threads):
            run.cancel.cancel()  # closed early (Ctrl-C, an error): stop the other trials, keep what finished
        for t in threads:
            t.join()
    return done


def _open(request: StartStudy, data_dir: Path, storage_file: Path | None) -> tuple[optuna.Study, Space]:
    attrs = study_attrs(request.training, request.metric, space_to_dict(request.space))
    study = open_study(
        request.study,
        data_dir,
        storage_file,
        request.metric,
        request.prune_startup,
        request.prune_warmup,
        request.training.seed,
    )
    stored = study.user_attrs
    # A study with no trials yet (its first dataset build failed) takes the new request, unless its
    # direction (the metric) is already fixed.
    if stored and (study.get_trials(deepcopy=False) or stored.get("metric") != request.metric):
        check_compatible(request.study, stored, attrs, request.space_given)
        return study, space_from_dict(stored["space"])
    for key, value in attrs.items():
        study.set_user_attr(key, value)
    return study, request.space


_WORKER_DONE = object()


class _Budget:
    """Trials left to start and the deadline for starting one, shared by the workers."""

    def __init__(self, trials: int, timeout_s: float | None) -> None:
        self._left = trials
        self._deadline = time.monotonic() + timeout_s if timeout_s else math.inf
        self._lock = threading.Lock()

    def take(self) -> bool:
        with self._lock:
            if self._left <= 0 or time.monotonic() >= self._deadline:
                return False
            self._left -= 1
            return True


def _worker(
    study: optuna.Study,
    request: StartStudy,
    space: Space,
    run: _Run,
    budget: _Budget,
    events: queue.Queue[Any],
    on_trial_start: Callable[[TrialStarted], None] | None,
) -> None:
    try:
        while not run.cancel.cancelled and budget.take():
            events.put(_trial(study, request, space, run, on_trial_start, events))
    except BaseException as exc:  # the generator re-raises it on the caller's thread
        events.put(exc)
    finally:
        events.put(_WORKER_DONE)


@dataclass(frozen=True)
class _Run:
    """What every trial of this session shares: where tasks run, the shipped dataset, the cancel token."""

    executor: Executor
    dataset: Any  # the PreparedDataset, or its handle in Ray's object store
    cancel: CancelToken


def _trial(
    study: optuna.Study,
    request: StartStudy,
    space: Space,
    run: _Run,
    on_trial_start: Callable[[TrialStarted], None] | None,
    events: queue.Queue[Any],
) -> TrialFinished:
    from optuna.trial import TrialState

    started = time.perf_counter()
    trial = study.ask()
    params = {**request.training.params, **suggest(trial, space)}
    if request.training.model == "lightgbm" and "num_threads" not in params:
        params["num_threads"] = _lightgbm_threads(request, run.executor)
    searched = {k: v for k, v in params.items() if k in trial.params}
    begin = TrialStarted(trial.number, searched)
    events.put(begin)
    t = request.training
    task = TrialTask(t.model, params, request.metric, t.seed, t.device, t.amp)
    pruning = _Pruning(trial)
    try:
        if on_trial_start is not None:
            on_trial_start(begin)
        # Between epochs the trial asks the pruner here, wherever it runs (on Ray: through a relay actor).
        with run.executor.callback(pruning, False) as should_prune:
            outcome = _run_task(run, task, should_prune)
    except Cancelled:
        study.tell(trial, state=TrialState.FAIL)
        raise
    pruning.catch_up(outcome.steps)  # epochs whose question did not reach us in time still inform the pruner
    seconds = time.perf_counter() - started
    trial.set_user_attr("worker", outcome.worker)
    if outcome.state == "complete":
        study.tell(trial, outcome.value)
    else:
        study.tell(trial, state=TrialState.PRUNED if outcome.state == "pruned" else TrialState.FAIL)
    return TrialFinished(trial.number, outcome.state, outcome.value, searched, outcome.epochs, seconds, outcome.error)


def _lightgbm_threads(request: StartStudy, executor: Executor) -> int:
    if request.ray is not None:
        return max(1, int(request.ray.cpus))
    return max(1, (os.cpu_count() or 1) // executor.slots)


class _Pruning:
    """The study's pruner for one trial: reports an epoch's valid figure and says whether to stop."""

    def __init__(self, trial: optuna.Trial) -> None:
        self._trial = trial
        self._reported: set[int] = set()
        self._lock = threading.Lock()  # a late relayed question may meet catch_up

    def __call__(self, epoch: int, value: float) -> bool:
        with self._lock:
            self._report(epoch, value)
            return bool(self._trial.should_prune())

    def catch_up(self, steps: tuple[tuple[int, float], ...]) -> None:
        with self._lock:
            for epoch, value in steps:
                self._report(epoch, value)

    def _report(self, epoch: int, value: float) -> None:
        if epoch not in self._reported:
            self._trial.report(value, epoch)
            self._reported.add(epoch)


def _run_task(run: _Run, task: TrialTask, should_prune: Callable[[int, float], bool]) -> TrialOutcome:
    run.cancel.raise_if_cancelled()  # cancelled while the trial was being set up: nothing is sent
    if not run.executor.remote:
        return run.executor.submit(fit_trial, run.dataset, task, run.cancel, should_prune).result()
    # On Ray the token does not travel: a cancelled study cancels the task itself.
    future = run.executor.submit(fit_trial, run.dataset, task, None, should_prune)
    while True:
        try:
            return future.result(timeout=_CANCEL_POLL_S)
        except concurrent.futures.TimeoutError:
            if run.cancel.cancelled:
                run.executor.cancel(future)
                raise Cancelled() from None
        except Cancelled:
            raise
        except Exception as exc:  # the task died on the cluster (a worker lost, an import missing there)
            if run.cancel.cancelled:
                raise Cancelled() from None
            lines = [line for line in str(exc).splitlines() if line.strip()]
            why = f"on Ray: {lines[-1] if lines else type(exc).__name__}"
            return TrialOutcome("fail", None, 0, 0.0, (), why, worker="ray")


# How often a trial running on Ray looks at the cancel token while it waits for the task.
_CANCEL_POLL_S = 0.5


def _register_best(
    request: StartStudy,
    study: optuna.Study,
    space: Space,
    data_dir: Path,
    cancel: CancelToken,
    registry: RunRegistry | None,
    done: int,
) -> Iterator[Any]:
    try:
        best = study.best_trial
    except ValueError:
        raise ValueError(f"study {request.study!r}: no trial completed; see the trials' errors above") from None
    fixed = {k: v for k, v in space.items() if not isinstance(v, (Range, Choice))}  # the space's fixed values
    params = {**request.training.params, **fixed, **best.params}
    training = StartTraining(
        request.training.model,
        request.training.dataset,
        params,
        request.training.device,
        request.training.amp,
        request.training.seed,
    )
    finished: RunFinished | None = None
    for report in run_training(training, data_dir, cancel, registry):
        if isinstance(report, RunFinished):
            finished = report
        elif isinstance(report, StageProgress):
            yield report
    assert finished is not None
    runs: Mapping[str, Any] = study.user_attrs.get("runs", {})
    study.set_user_attr("runs", {**runs, str(best.number): finished.run_id})
    yield StudyFinished(request.study, best.number, float(best.value or 0.0), dict(best.params), finished, done)


def stored_request(
    name: str, data_dir: Path, trials: int = 1, workers: int = 1, storage_file: Path | None = None
) -> StartStudy:
    """The command that adds `trials` to a stored study, with the model, dataset and space it was built for."""
    import optuna

    from core.datasets.config import DatasetConfig
    from core.research.study_store import UnknownStudy, storage, study_names

    if name not in study_names(data_dir, storage_file):
        raise UnknownStudy(name)
    attrs = optuna.load_study(study_name=name, storage=storage(data_dir, storage_file)).user_attrs
    training = StartTraining(
        str(attrs["model"]), DatasetConfig.from_dict(attrs["dataset"]), dict(attrs.get("fixed_params", {}))
    )
    space = space_from_dict(attrs["space"])
    return StartStudy(name, training, space, trials, metric=str(attrs["metric"]), workers=workers)


def register_best(
    name: str,
    data_dir: Path,
    cancel: CancelToken | None = None,
    registry: RunRegistry | None = None,
    storage_file: Path | None = None,
) -> Generator[Any, None, None]:
    """Retrain a stored study's best trial and register it as a run, without adding trials."""
    request = stored_request(name, data_dir, storage_file=storage_file)
    study, space = _open(request, Path(data_dir), storage_file)
    yield from _register_best(request, study, space, Path(data_dir), cancel or CancelToken(), registry, 0)
