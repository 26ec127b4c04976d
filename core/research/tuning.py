"""Hyper-parameter studies: Optuna (TPE, median pruning) over a model's parameters, scored on the valid segment.

`run_study` is a plain generator like the training job: it yields StageProgress while the dataset is
built, TrialStarted/TrialFinished as trials run, and StudyFinished last, after the best trial (of every
session of the study) is retrained, scored once on the test segment and registered as a normal run.
Studies live in Optuna's RDB storage on a SQLite file in the data folder; the same name resumes.

`workers` trials run at once on threads of this process: the dataset's arrays are shared, not copied
or pickled per trial, and LightGBM and PyTorch release the GIL in their kernels; each LightGBM trial
gets cpu_count // workers threads so K trials do not oversubscribe the cores.
"""

from __future__ import annotations

import math
import os
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.jobs import Cancelled, CancelToken
from core.research.config import StartTraining
from core.research.registry import RunRegistry
from core.research.search_space import Choice, Range, Space, check_space, space_to_dict, suggest
from core.research.study_store import METRICS, check_compatible, open_study, space_from_dict, study_attrs
from core.research.training import RunFinished, StageProgress, prepare_dataset, run_training

if TYPE_CHECKING:
    import optuna

    from core.datasets.prepared import PreparedDataset


@dataclass(frozen=True)
class StartStudy:
    """Command: search `space` for `training.model` on `training.dataset` with `trials` more trials."""

    study: str
    training: StartTraining  # model, dataset, device and seed; its params are fixed for every trial
    space: Space
    trials: int
    metric: str = "valid_ic"
    workers: int = 1
    timeout_s: float | None = None
    prune_startup: int = 5  # trials finished before the pruner judges anyone
    prune_warmup: int = 2  # epochs a trial runs before it can be pruned
    space_given: bool = field(default=False)  # a --space file was given (else a resume keeps the stored one)

    def __post_init__(self) -> None:
        if self.trials < 1:
            raise ValueError(f"--trials must be at least 1, got {self.trials}")
        if self.workers < 1:
            raise ValueError(f"--workers must be at least 1, got {self.workers}")
        if self.timeout_s is not None and self.timeout_s <= 0:
            raise ValueError(f"--timeout must be positive, got {self.timeout_s:g}")
        if self.metric not in METRICS:
            raise ValueError(f"unknown metric {self.metric!r}; choose one of {', '.join(METRICS)}")
        if not self.study.strip():
            raise ValueError("--study: an empty study name")
        check_space(self.space, self.training.model)


@dataclass(frozen=True, slots=True)
class TrialStarted:
    number: int
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class TrialFinished:
    """A trial ended: state is complete, pruned or fail (with `error`); `value` is the metric on valid."""

    number: int
    state: str
    value: float | None
    params: dict[str, Any]
    epochs: int
    seconds: float
    error: str = ""


@dataclass(frozen=True, slots=True)
class StudyFinished:
    """The study's best trial is retrained and registered as `run`."""

    study: str
    best_number: int
    best_value: float
    best_params: dict[str, Any]
    run: RunFinished
    trials_done: int  # trials of this session that ended (any state)


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
    dataset, _ = yield from prepare_dataset(request.training, data_dir, cancel)
    events: queue.Queue[Any] = queue.Queue()
    budget = _Budget(request.trials, request.timeout_s)
    threads = [
        threading.Thread(
            target=_worker,
            args=(study, request, space, dataset, cancel, budget, events, on_trial_start),
            name=f"study-{request.study}-{i}",
            daemon=True,
        )
        for i in range(request.workers)
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
            cancel.cancel()  # closed early (Ctrl-C, an error): stop the other trials, keep what finished
        for t in threads:
            t.join()
    cancel.raise_if_cancelled()
    yield from _register_best(request, study, space, data_dir, cancel, registry, done)


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
    dataset: PreparedDataset,
    cancel: CancelToken,
    budget: _Budget,
    events: queue.Queue[Any],
    on_trial_start: Callable[[TrialStarted], None] | None,
) -> None:
    try:
        while not cancel.cancelled and budget.take():
            events.put(_trial(study, request, space, dataset, cancel, on_trial_start, events))
    except BaseException as exc:  # the generator re-raises it on the caller's thread
        events.put(exc)
    finally:
        events.put(_WORKER_DONE)


def _trial(
    study: optuna.Study,
    request: StartStudy,
    space: Space,
    dataset: PreparedDataset,
    cancel: CancelToken,
    on_trial_start: Callable[[TrialStarted], None] | None,
    events: queue.Queue[Any],
) -> TrialFinished:
    import optuna
    from optuna.trial import TrialState

    from core.models import create_model
    from core.models.base import EpochFinished

    started = time.perf_counter()
    trial = study.ask()
    params = {**request.training.params, **suggest(trial, space)}
    if request.training.model == "lightgbm" and "num_threads" not in params:
        params["num_threads"] = max(1, (os.cpu_count() or 1) // request.workers)
    searched = {k: v for k, v in params.items() if k in trial.params}
    begin = TrialStarted(trial.number, searched)
    events.put(begin)
    epochs = 0
    try:
        if on_trial_start is not None:
            on_trial_start(begin)
        t = request.training
        model = create_model(t.model, params, seed=t.seed, device=t.device, amp=t.amp)
        for report in model.fit(dataset, cancel):
            if isinstance(report, EpochFinished):
                epochs = report.epoch
                # The pruner compares trials epoch by epoch on the per-epoch valid figure (IC on the learned
                # label for the IC metrics); the trial's value below is the finished model's.
                step_value = report.valid_loss if request.metric == "valid_loss" else report.valid_ic
                if math.isfinite(step_value):
                    trial.report(step_value, report.epoch)
                    if trial.should_prune():
                        raise optuna.TrialPruned()
        value = valid_score(model, dataset, request.metric)
    except optuna.TrialPruned:
        study.tell(trial, state=TrialState.PRUNED)
        return TrialFinished(trial.number, "pruned", None, searched, epochs, time.perf_counter() - started)
    except Cancelled:
        study.tell(trial, state=TrialState.FAIL)
        raise
    except (ValueError, RuntimeError) as exc:  # a parameter set the model cannot train with: the next trial runs
        study.tell(trial, state=TrialState.FAIL)
        return TrialFinished(trial.number, "fail", None, searched, epochs, time.perf_counter() - started, str(exc))
    if not math.isfinite(value):
        study.tell(trial, state=TrialState.FAIL)
        return TrialFinished(
            trial.number,
            "fail",
            None,
            searched,
            epochs,
            time.perf_counter() - started,
            "the valid metric is not a number (constant predictions)",
        )
    study.tell(trial, value)
    return TrialFinished(trial.number, "complete", value, searched, epochs, time.perf_counter() - started)


def valid_score(model: Any, dataset: PreparedDataset, metric: str) -> float:
    """The trained model's `metric` on the valid segment; IC and Rank IC on the raw label, as runs report them."""
    import numpy as np

    from core.datasets.metrics import signal_metrics

    rows = dataset.rows("valid", labelled=True)
    scores = np.asarray(model.predict(dataset, "valid"), dtype="float64")
    scores = scores[np.isin(dataset.rows("valid"), rows)]
    if metric == "valid_loss":
        return float(np.mean((scores - dataset.label[rows]) ** 2))
    metrics = signal_metrics(scores, dataset.raw_label[rows], dataset.date_groups(rows))
    return float(metrics["rank_ic" if metric == "valid_rank_ic" else "ic"])


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
