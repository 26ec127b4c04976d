"""Scheduled retraining in the daily loop: every N trading days (or months) the run's model is refitted.

The retrain is one walk-forward step (core.research.rolling.window_at): the run's train and valid segments
move forward so that the new model opens on the newest stored day, its valid segment the last part of the
window with labels that end before that day; it trains through the normal training job and registers as a
run. The routine switches to it only when it trained and scored sane predictions; otherwise the old run
keeps trading and the report says why. What was retrained when is kept in a file beside the store, keyed by
the run the user chose, so a restart neither retrains twice nor forgets which run is trading.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Generator, Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from core.jobs import CancelToken, Progress
from core.research.rolling import WINDOWS, RollingStep, label_horizon, window_at

log = logging.getLogger(__name__)
STATE_FILE = "retrain_state.json"


@dataclass(frozen=True, slots=True)
class RetrainSchedule:
    """Retrain every `every` (trading days 'd' or calendar months 'm'); `window` None: the run's own window
    (a rolling run's), else expanding."""

    every: RollingStep
    window: str | None = None

    @classmethod
    def parse(cls, every: str, window: str | None = None) -> RetrainSchedule:
        """'20d' / '1m' and 'expanding' / 'sliding' (or None); ValueError names the bad value."""
        if window is not None and window not in WINDOWS:
            raise ValueError(f"bad retrain window {window!r}: choose {' or '.join(WINDOWS)}")
        return cls(RollingStep.parse(every), window)


@dataclass(frozen=True, slots=True)
class RetrainEntry:
    """The retraining of one chosen run: the run now trading, the day it was last retrained, the last attempt."""

    active: str
    last_day: str = ""  # the day the active run was retrained on; '' never
    tried_day: str = ""  # the day of the last attempt, whatever its end
    outcome: str = ""  # 'switched' | 'kept'
    reason: str = ""
    window: str = ""  # the window the active run was retrained on: the next retrain keeps it (a rolling run's)


class RetrainState:
    """`retrain_state.json` in the data folder: one entry per chosen run."""

    def __init__(self, data_dir: Path) -> None:
        self.path = Path(data_dir) / STATE_FILE

    def _read(self) -> dict[str, dict[str, str]]:
        try:
            raw = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}  # never retrained, or a hand-broken file: start from the chosen run
        return raw if isinstance(raw, dict) else {}

    def entry(self, run_id: str) -> RetrainEntry:
        raw = self._read().get(run_id)
        if not isinstance(raw, dict) or not raw.get("active"):
            return RetrainEntry(run_id)
        return RetrainEntry(**{k: str(raw.get(k, "")) for k in RetrainEntry.__slots__})

    def record(self, run_id: str, entry: RetrainEntry) -> None:
        data = self._read()
        data[run_id] = {k: getattr(entry, k) for k in RetrainEntry.__slots__}
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(data, indent=2), encoding="utf-8")
        tmp.replace(self.path)


def retrain_due(calendar: Sequence[str], since: str, day: str, every: RollingStep) -> bool:
    """Whether `every` has passed from `since` (the last retrain, or the run's first scored day) to `day`:
    that many stored trading days after `since`, or that many calendar months on."""
    if every.unit == "d":
        return sum(1 for d in calendar if since < d <= day) >= every.count
    months = (int(day[:4]) * 12 + int(day[5:7])) - (int(since[:4]) * 12 + int(since[5:7]))
    return months >= every.count


@dataclass(frozen=True, slots=True)
class RetrainDone:
    """How the retrain step ended: 'not due', 'switched' or 'kept' (with why); `run` is the run that trades now."""

    outcome: str
    run: str
    figures: dict[str, Any] = field(default_factory=dict)


def retrain(
    data_dir: Path, chosen: str, plan: RetrainSchedule, calendar: Sequence[str], cancel: CancelToken | None = None
) -> Iterator[Progress | RetrainDone]:
    """If due on the newest day of `calendar`, retrain the run trading for `chosen` and switch to the new run when
    it is sound. Yields the training job's progress, then RetrainDone."""
    from core.datasets.config import DatasetConfig
    from core.research.registry import RunRegistry

    cancel = cancel or CancelToken()
    state = RetrainState(data_dir)
    entry = state.entry(chosen)
    day = calendar[-1]
    registry = RunRegistry(data_dir)
    if entry.active != chosen and entry.active not in {r.run_id for r in registry.runs()}:
        # The retrained run was deleted: the chosen run trades again and is retrained from its own schedule.
        log.warning("run %s (retrained from %s) no longer exists; %s trades again", entry.active, chosen, chosen)
        entry = RetrainEntry(chosen, tried_day=entry.tried_day)
        state.record(chosen, entry)
    config = registry.get(entry.active).config
    # Never retrained: the run's model has been trading since its test segment opened.
    since = entry.last_day or DatasetConfig.from_dict(config["dataset"]).segments.test[0]
    if entry.tried_day == day or not retrain_due(calendar, since, day, plan.every):
        yield RetrainDone("not due", entry.active, {"since": since, "every": str(plan.every)})
        return
    figures: dict[str, Any] = {"day": day, "from": entry.active}
    try:
        request = _request(config, plan, calendar, figures, entry.window)
        new_run = yield from _train(request, data_dir, cancel)
    except Exception as exc:  # any failure keeps the trading run; the reason goes into the report
        cancel.raise_if_cancelled()  # a cancel is no failure: the next close tries again
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        state.record(chosen, replace(entry, tried_day=day, outcome="kept", reason=reason))
        log.warning("retrain of %s on %s failed; it keeps trading: %s", entry.active, day, reason)
        yield RetrainDone("kept", entry.active, {**figures, "reason": reason})
        return
    state.record(chosen, RetrainEntry(new_run, day, day, "switched", window=figures["window"]))
    log.info("retrained %s on %s: %s trades from now on", entry.active, day, new_run)
    yield RetrainDone("switched", new_run, figures)


def _request(
    config: dict[str, Any], plan: RetrainSchedule, calendar: Sequence[str], figures: dict[str, Any], last_window: str
) -> Any:
    """The run's own training request with its segments moved to the window that opens on the newest day."""
    from core.datasets.config import Segments
    from core.research.config import StartTraining

    if "ensemble" in config:
        raise ValueError("an ensemble is retrained through its members: retrain those and combine them again")
    request = StartTraining.from_dict(config)
    window = plan.window or last_window or str(config.get("rolling", {}).get("window", "expanding"))
    w = window_at(request.dataset.segments, calendar, calendar[-1], window, label_horizon(request.dataset.label))
    figures.update(window=window, train="..".join(w.train), valid="..".join(w.valid))
    return replace(request, dataset=replace(request.dataset, segments=Segments(w.train, w.valid, w.test)))


def _train(request: Any, data_dir: Path, cancel: CancelToken) -> Generator[Progress, None, str]:
    from core.research.training import RunFinished, run_training

    finished: RunFinished | None = None
    for report in run_training(request, data_dir, cancel):
        if isinstance(report, RunFinished):
            finished = report
        elif isinstance(report, Progress):
            yield report
    if finished is None:
        raise RuntimeError("the training job ended without a run")
    return finished.run_id
