"""Walk-forward retraining: a model refitted on an expanding or sliding window, its test scores stitched into one run.

Like Qlib's RollingGen, the test segment is cut into windows of STEP (`20d` trading days, `1m` or `3m`
calendar months) and the train and valid segments move forward with each window. Unlike a plain shift,
the valid segment is cut so that the labels a sub-model learns from end before its window opens: the
label of day t reads prices up to t + horizon, so the last valid day is `horizon` trading days before
the day before the window. The dataset is built once (its processors fitted on the request's own train
segment, which precedes every window); each sub-model sees a view of it with its own segments.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from core.datasets.config import Segments
from core.jobs import CancelToken
from core.research.config import StartTraining
from core.research.registry import RunRegistry, new_run_id
from core.research.training import (
    CHECKPOINTS_DIR,
    RunFinished,
    StageProgress,
    check_device,
    checkpoint_key,
    model_file_name,
    prepare_dataset,
    register_scores,
)

WINDOWS = ("expanding", "sliding")
SUBMODELS_DIR = "submodels"
_STEP = re.compile(r"^(\d+)([dm])$")
_REF = re.compile(r"Ref\(\s*\$\w+\s*,\s*-(\d+)\s*\)")


@dataclass(frozen=True, slots=True)
class RollingStep:
    """How far each retrain moves: `count` trading days ('d') or calendar months ('m')."""

    count: int
    unit: str

    @classmethod
    def parse(cls, text: str) -> RollingStep:
        m = _STEP.match(text.strip().lower())
        if not m:
            raise ValueError(f"bad step {text!r}: expected N trading days or N months, e.g. 20d, 1m, 3m")
        if int(m.group(1)) <= 0:
            raise ValueError(f"bad step {text!r}: it must be at least one day or month")
        return cls(int(m.group(1)), m.group(2))

    def __str__(self) -> str:
        return f"{self.count}{self.unit}"


@dataclass(frozen=True, slots=True)
class Window:
    """One retrain: the segments its sub-model trains and stops on, and the days it scores (`test`)."""

    train: tuple[str, str]
    valid: tuple[str, str]
    test: tuple[str, str]

    def to_dict(self) -> dict[str, list[str]]:
        return {"train": list(self.train), "valid": list(self.valid), "test": list(self.test)}


def label_horizon(label: str) -> int:
    """Trading days after a row that its label reads (Ref($close, -2) → 2)."""
    return max((int(n) for n in _REF.findall(label)), default=0)


def schedule(
    segments: Segments, calendar: Sequence[str], step: RollingStep, window: str = "expanding", horizon: int = 2
) -> list[Window]:
    """The windows over the test segment's trading days in `calendar` (sorted ISO days)."""
    if window not in WINDOWS:
        raise ValueError(f"bad window {window!r}: choose {' or '.join(WINDOWS)}")
    days = list(calendar)
    test = [i for i, d in enumerate(days) if segments.test[0] <= d <= segments.test[1]]
    if not test:
        raise ValueError(f"the test segment {segments.test[0]}:{segments.test[1]} has no trading days in the data")
    starts = _window_starts(days, test, step)
    ends = [s - 1 for s in starts[1:]] + [test[-1]]
    return [_window(days, segments, a, test[0], b, window, horizon) for a, b in zip(starts, ends, strict=True)]


def window_at(
    segments: Segments, calendar: Sequence[str], day: str, window: str = "expanding", horizon: int = 2
) -> Window:
    """The window a walk-forward retrain opens on `day` (a day of `calendar`, on or after the test start): the
    train and valid segments moved forward as `schedule` moves them; it scores `day` alone."""
    if window not in WINDOWS:
        raise ValueError(f"bad window {window!r}: choose {' or '.join(WINDOWS)}")
    days = list(calendar)
    if day not in days:
        raise ValueError(f"{day} is not a stored trading day")
    test0 = _first_at_or_after(days, segments.test[0])
    at = days.index(day)
    if at < test0:
        raise ValueError(f"{day} is before the test segment, which starts {segments.test[0]}")
    return _window(days, segments, at, test0, at, window, horizon)


def _window(
    days: Sequence[str], segments: Segments, start: int, test0: int, end: int, window: str, horizon: int
) -> Window:
    """Days[start..end] scored by a model whose segments moved `start - test0` days; labels end before `start`."""
    shift = start - test0
    first_valid = _first_at_or_after(days, segments.valid[0])
    valid_end = min(_last_at_or_before(days, segments.valid[1]) + shift, start - 1 - horizon)
    valid_start = first_valid + shift
    train_start = _first_at_or_after(days, segments.train[0]) + (shift if window == "sliding" else 0)
    if valid_end < valid_start or valid_start - 1 < train_start:
        raise ValueError(f"window from {days[start]}: the valid segment is too short for a label {horizon} days ahead")
    return Window(
        (days[train_start], days[valid_start - 1]), (days[valid_start], days[valid_end]), (days[start], days[end])
    )


def _window_starts(days: Sequence[str], test: list[int], step: RollingStep) -> list[int]:
    if step.unit == "d":
        return test[:: step.count]
    first = days[test[0]]
    month0 = int(first[:4]) * 12 + int(first[5:7]) - 1
    starts, seen = [], set()
    for i in test:
        block = (int(days[i][:4]) * 12 + int(days[i][5:7]) - 1 - month0) // step.count
        if block not in seen:
            seen.add(block)
            starts.append(i)
    return starts


def _first_at_or_after(days: Sequence[str], day: str) -> int:
    return next(i for i, d in enumerate(days) if d >= day)


def _last_at_or_before(days: Sequence[str], day: str) -> int:
    return max(i for i, d in enumerate(days) if d <= day)


def run_rolling(
    request: StartTraining,
    step: RollingStep,
    data_dir: Path,
    window: str = "expanding",
    cancel: CancelToken | None = None,
    registry: RunRegistry | None = None,
    store_file: Path | None = None,
) -> Iterator[Any]:
    """Train one sub-model per window, stitch their test scores and register them as one run.

    Yields StageProgress ('rolling': window k of n), each sub-model's own fit reports, and RunFinished.
    A cancelled job keeps its finished sub-models and resumes after them when the same request runs again.
    """
    import numpy as np

    from core.models import create_model, load_model
    from core.research.dataset_builder import dataset_key

    cancel = cancel or CancelToken()
    started = time.perf_counter()
    data_dir = Path(data_dir)
    if window not in WINDOWS:
        raise ValueError(f"bad window {window!r}: choose {' or '.join(WINDOWS)}")
    check_device(create_model(request.model, request.params, seed=request.seed, device=request.device))
    dataset, provider = yield from prepare_dataset(request, data_dir, cancel, store_file)
    calendar = [str(d)[:10] for d in np.unique(dataset.dates)]
    windows = schedule(request.dataset.segments, calendar, step, window, label_horizon(request.dataset.label))
    key = checkpoint_key(request, dataset_key(request.dataset, provider) + f"/rolling/{step}/{window}")
    root = data_dir / CHECKPOINTS_DIR / key
    models, fit_report = [], None
    for k, w in enumerate(windows):
        yield StageProgress(k, len(windows), f"window {k + 1}/{len(windows)} from {w.test[0]}", stage="rolling")
        view = _view(dataset, w)
        done_file = root / f"w{k:03d}" / model_file_name(request.model)
        if done_file.exists():  # finished before a cancel or crash
            models.append(load_model(done_file, device="cpu" if done_file.suffix == ".json" else request.device))
            continue
        model = create_model(request.model, request.params, seed=request.seed, device=request.device, amp=request.amp)
        for report in model.fit(view, cancel, root / f"w{k:03d}" / "fit"):
            fit_report = report
            yield report
        cancel.raise_if_cancelled()
        model.save(done_file)
        shutil.rmtree(root / f"w{k:03d}" / "fit", ignore_errors=True)
        models.append(model)
    yield StageProgress(0, 1, "scoring the windows", stage="predict")
    scores = np.concatenate([m.predict(_view(dataset, w), "test") for m, w in zip(models, windows, strict=True)])
    if len(scores) != len(dataset.rows("test")):
        raise RuntimeError(f"stitched {len(scores)} scores for {len(dataset.rows('test'))} test rows")

    def save(folder: Path) -> Path:
        target = folder / SUBMODELS_DIR
        target.mkdir(parents=True, exist_ok=True)
        for k, model in enumerate(models):
            model.save(target / f"w{k:03d}-{model_file_name(request.model)}")
        return target / f"w{len(models) - 1:03d}-{model_file_name(request.model)}"  # the newest scores new days

    rolling = {
        "step": str(step),
        "window": window,
        "windows": [
            {**w.to_dict(), "model_file": f"{SUBMODELS_DIR}/w{k:03d}-{model_file_name(request.model)}"}
            for k, w in enumerate(windows)
        ],
    }
    record = register_scores(
        request,
        dataset,
        scores,
        registry or RunRegistry(data_dir),
        save,
        {"resolved_params": models[-1].params, "rolling": rolling},
        run_id=new_run_id(f"{request.model}-rolling"),
        epochs=getattr(fit_report, "epochs", 0),
        best_epoch=getattr(fit_report, "best_epoch", 0),
        seconds=time.perf_counter() - started,
    )
    shutil.rmtree(root, ignore_errors=True)
    yield StageProgress(1, 1, "registered", stage="predict")
    yield RunFinished(record.run_id, record.metrics, record, time.perf_counter() - started)


def _view(dataset: Any, w: Window) -> Any:
    """The dataset with the window's segments; the arrays are shared, not copied."""
    return replace(dataset, config=replace(dataset.config, segments=Segments(w.train, w.valid, w.test)))


def window_of_days(windows: Sequence[dict[str, Any]], days: Sequence[str]) -> list[int]:
    """For each day, the window whose sub-model scores it: the newest window opened on or before it
    (days before the first window: the first)."""
    starts = [w["test"][0] for w in windows]
    return [max([k for k, s in enumerate(starts) if s <= d], default=0) for d in days]
