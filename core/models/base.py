"""The model interface every model of the zoo implements, its epoch reports, and early stopping."""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.jobs import CancelToken, Progress

if TYPE_CHECKING:
    import numpy as np

    from core.datasets.prepared import PreparedDataset

STOP_METRICS = ("loss", "ic")


@dataclass(frozen=True, slots=True)
class EpochFinished:
    """One epoch (for LightGBM: one block of boosting rounds) is done; losses are MSE on the learned label."""

    epoch: int
    epochs: int  # the most epochs this fit may run
    train_loss: float
    valid_loss: float
    valid_ic: float
    best_epoch: int
    seconds: float
    samples_per_second: float
    improved: bool


@dataclass(frozen=True, slots=True)
class TrainingProgress(Progress):
    """Batches done of the whole fit (every epoch counted), for the progress bar and its ETA."""

    epoch: int = 0


@dataclass(frozen=True, slots=True)
class FitFinished:
    """The fit ended (early stop, last epoch or resumed-complete); the best epoch's weights are loaded."""

    epochs: int
    best_epoch: int
    best_valid_loss: float
    best_valid_ic: float
    stopped_early: bool
    resumed_from: int  # epochs restored from a checkpoint before this fit started (0: fresh)


FitReport = TrainingProgress | EpochFinished | FitFinished


class Model(ABC):
    """fit/predict/save/load over a PreparedDataset; fit is a generator so callers get progress and cancel."""

    name: str = ""

    def __init__(self, params: Mapping[str, Any] | None = None, seed: int = 0) -> None:
        self.params: dict[str, Any] = {**self.default_params(), **dict(params or {})}
        unknown = set(self.params) - set(self.default_params())
        if unknown:
            raise ValueError(
                f"{self.name}: unknown parameter(s) {', '.join(sorted(unknown))}; "
                f"known: {', '.join(sorted(self.default_params()))}"
            )
        self.seed = int(seed)

    @classmethod
    @abstractmethod
    def default_params(cls) -> dict[str, Any]:
        """Every hyper-parameter with its default (Qlib's benchmark settings where they exist)."""

    @abstractmethod
    def fit(
        self, dataset: PreparedDataset, cancel: CancelToken | None = None, checkpoint_dir: Path | None = None
    ) -> Iterator[FitReport]:
        """Train on the train segment, stop early on valid; resume from `checkpoint_dir` when it holds one.

        Cancelling raises core.jobs.Cancelled within one batch; the checkpoint of the last finished
        epoch and the best weights so far stay in `checkpoint_dir` for a later resume.
        """

    @abstractmethod
    def predict(self, dataset: PreparedDataset, segment: str = "test") -> np.ndarray:
        """Scores for `dataset.rows(segment)`, in that order."""

    @abstractmethod
    def save(self, path: Path) -> Path:
        """Write the trained model to one file; returns the path written."""

    @classmethod
    @abstractmethod
    def load(cls, path: Path) -> Model:
        """Read a model written by `save`."""


class EarlyStopper:
    """Tracks the best epoch by valid loss (lower is better) or valid IC (higher); NaN never improves."""

    def __init__(self, metric: str, patience: int) -> None:
        if metric not in STOP_METRICS:
            raise ValueError(f"unknown early-stopping metric {metric!r}; choose loss or ic")
        self.metric = metric
        self.patience = int(patience)
        self.best_epoch = 0
        self.best_score = -math.inf
        self.best_loss = math.nan
        self.best_ic = math.nan

    def update(self, epoch: int, valid_loss: float, valid_ic: float) -> bool:
        """Record an epoch; True when it is the new best."""
        score = -valid_loss if self.metric == "loss" else valid_ic
        if math.isfinite(score) and score > self.best_score:
            self.best_score, self.best_epoch = score, epoch
            self.best_loss, self.best_ic = valid_loss, valid_ic
            return True
        return False

    def should_stop(self, epoch: int) -> bool:
        return self.patience > 0 and epoch - self.best_epoch >= self.patience

    def state(self) -> dict[str, float]:
        return {
            "best_epoch": self.best_epoch,
            "best_score": self.best_score,
            "best_loss": self.best_loss,
            "best_ic": self.best_ic,
        }

    def restore(self, state: Mapping[str, float]) -> None:
        self.best_epoch = int(state["best_epoch"])
        self.best_score, self.best_loss, self.best_ic = state["best_score"], state["best_loss"], state["best_ic"]
