"""One study trial as a pure task: train a model with given parameters on a dataset and score it on valid.

It touches no study storage, so it runs alike on a thread here or as a Ray task on another machine; the
caller asks Optuna for the parameters and tells it the outcome. `should_prune` (here or relayed from Ray) lets the
study's pruner stop a hopeless trial between epochs.
"""

from __future__ import annotations

import math
import os
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.jobs import CancelToken

if TYPE_CHECKING:
    from core.datasets.prepared import PreparedDataset


@dataclass(frozen=True, slots=True)
class TrialTask:
    model: str
    params: dict[str, Any]
    metric: str
    seed: int = 0
    device: str = "auto"
    amp: str = "auto"


@dataclass(frozen=True, slots=True)
class TrialOutcome:
    """complete (with `value`), pruned or fail (with `error`); `steps` are the per-epoch valid figures."""

    state: str
    value: float | None
    epochs: int
    seconds: float
    steps: tuple[tuple[int, float], ...] = field(default=())
    error: str = ""
    worker: str = field(default_factory=lambda: f"{socket.gethostname()}:{os.getpid()}")  # which process ran it


class _Pruned(Exception):
    pass


def fit_trial(
    dataset: PreparedDataset,
    task: TrialTask,
    cancel: CancelToken | None = None,
    should_prune: Callable[[int, float], bool] | None = None,
) -> TrialOutcome:
    """Train and score one parameter set; Cancelled propagates, a model's ValueError/RuntimeError is a fail."""
    from core.models import create_model
    from core.models.base import EpochFinished

    started = time.perf_counter()
    steps: list[tuple[int, float]] = []
    epochs = 0
    try:
        model = create_model(task.model, task.params, seed=task.seed, device=task.device, amp=task.amp)
        for report in model.fit(dataset, cancel or CancelToken()):
            if isinstance(report, EpochFinished):
                epochs = report.epoch
                # The pruner compares trials epoch by epoch on the per-epoch valid figure (IC on the learned
                # label for the IC metrics); the trial's value is the finished model's.
                step = report.valid_loss if task.metric == "valid_loss" else report.valid_ic
                if math.isfinite(step):
                    steps.append((report.epoch, float(step)))
                    if should_prune is not None and should_prune(report.epoch, float(step)):
                        raise _Pruned()
        value = valid_score(model, dataset, task.metric)
    except _Pruned:
        return TrialOutcome("pruned", None, epochs, time.perf_counter() - started, tuple(steps))
    except (ValueError, RuntimeError) as exc:  # a parameter set the model cannot train with: the next trial runs
        return TrialOutcome("fail", None, epochs, time.perf_counter() - started, tuple(steps), str(exc))
    seconds = time.perf_counter() - started
    if not math.isfinite(value):
        why = "the valid metric is not a number (constant predictions)"
        return TrialOutcome("fail", None, epochs, seconds, tuple(steps), why)
    return TrialOutcome("complete", value, epochs, seconds, tuple(steps))


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
