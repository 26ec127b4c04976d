"""A study's command and what it reports: StartStudy, TrialStarted, TrialFinished, StudyFinished (core.research.tuning
runs them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.research.config import StartTraining
from core.research.execution import RayOptions
from core.research.search_space import Space, check_space
from core.research.study_store import METRICS
from core.research.training import RunFinished


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
    ray: RayOptions | None = None  # run trials as Ray tasks on this cluster instead of `workers` threads here

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
