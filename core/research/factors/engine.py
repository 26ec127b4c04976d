"""Evaluate one factor over a universe: its values and forward returns as day × instrument panels.

The factor and its forward returns are computed by the columnar engine straight from the export's arrays
(every instrument of a block at once, Qlib's semantics), then laid out wide for the metrics.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.jobs import CancelToken
from core.research.factors.expression import canonical, parse_factor

DEFAULT_HORIZONS = tuple(range(1, 21))
MAX_HORIZON = 60


def forward_return(horizon: int) -> str:
    """The return of buying at the next close and holding `horizon` days (horizon 1 is the standard label)."""
    return f"Ref($close, -{horizon + 1}) / Ref($close, -1) - 1"


@dataclass(frozen=True)
class EvaluateFactor:
    """Command: score `expression` on `universe` over [start, end] (ISO days)."""

    expression: str
    universe: str | tuple[str, ...]
    start: str
    end: str
    horizons: tuple[int, ...] = DEFAULT_HORIZONS
    quantiles: int = 5

    def __post_init__(self) -> None:
        for name, day in (("--start", self.start), ("--end", self.end)):
            try:
                dt.date.fromisoformat(day)
            except ValueError:
                raise ValueError(f"{name}: bad date {day!r}, expected YYYY-MM-DD") from None
        if self.start > self.end:
            raise ValueError(f"--start {self.start} is after --end {self.end}")
        if not self.horizons or any(not 1 <= h <= MAX_HORIZON for h in self.horizons):
            raise ValueError(f"--horizons must be days between 1 and {MAX_HORIZON}")
        if self.quantiles < 2:
            raise ValueError(f"--quantiles must be at least 2, got {self.quantiles}")
        parse_factor(self.expression)  # ExpressionError (a ValueError) names position and operator


@dataclass(frozen=True)
class FactorPanel:
    """A factor on a universe: values and forward returns (float32, day × instrument, NaN outside it)."""

    expression: str
    dates: np.ndarray  # datetime64[ns]
    codes: tuple[str, ...]
    values: np.ndarray
    returns: dict[int, np.ndarray] = field(default_factory=dict)  # horizon -> panel
    members: np.ndarray | None = None  # bool: the instrument is in the universe and has a bar that day


def trading_days(provider: Path) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.read_csv(Path(provider) / "calendars" / "day.txt", header=None)[0])


def check_dates(provider: Path, start: str, end: str) -> None:
    """Refuse a range with no trading day of the export in it, naming the data's own range."""
    days = trading_days(provider)
    inside = days[(days >= pd.Timestamp(start)) & (days <= pd.Timestamp(end))]
    if len(inside) == 0:
        first, last = days[0].date(), days[-1].date()
        raise ValueError(f"no trading days between {start} and {end}: the data covers {first} to {last}")


def load_panel(
    provider: Path,
    spans: dict[str, list[tuple[Any, Any]]],
    start: str,
    end: str,
    expression: str,
    horizons: tuple[int, ...] = DEFAULT_HORIZONS,
    cancel: Callable[[], None] | None = None,
) -> Iterator[tuple[int, int] | FactorPanel]:
    """Yield (instruments done, total) per block, then the factor's panel on the days of [start, end]."""
    from core.research.columnar import extended_window
    from core.research.factors.operators import FACTOR_OPERATORS
    from core.research.feature_blocks import BUFFER_DAYS, compute_features

    tree = parse_factor(expression)
    text = canonical(tree)
    labels = [forward_return(h) for h in horizons]
    buffer = max(BUFFER_DAYS, extended_window(tree)[0] + 1)
    frame = pd.DataFrame()
    steps = compute_features(
        provider,
        spans,
        start,
        end,
        [text, *labels],
        ["factor", *map(str, horizons)],
        labels[0],
        cancel,
        buffer=buffer,
        ahead=max(horizons) + 2,
        operators=FACTOR_OPERATORS,
    )
    for step in steps:
        if isinstance(step, tuple):
            yield step
        else:
            frame = step
    yield to_panel(text, frame, horizons)


def to_panel(expression: str, frame: pd.DataFrame, horizons: tuple[int, ...]) -> FactorPanel:
    """The engine's long (instrument, datetime) frame laid out as day × instrument arrays."""
    if frame.empty:
        empty = np.zeros((0, 0), dtype=np.float32)
        return FactorPanel(expression, np.zeros(0, "datetime64[ns]"), (), empty, {}, empty.astype(bool))
    rows, codes = pd.factorize(frame.index.get_level_values("instrument"), sort=True)
    cols, dates = pd.factorize(frame.index.get_level_values("datetime"), sort=True)
    shape = (len(dates), len(codes))

    def wide(column: np.ndarray) -> np.ndarray:
        out = np.full(shape, np.nan, dtype=np.float32)
        out[cols, rows] = column
        return out

    values = frame.to_numpy(dtype=np.float32)
    members = np.zeros(shape, dtype=bool)
    members[cols, rows] = True
    returns = {h: wide(values[:, 1 + k]) for k, h in enumerate(horizons)}
    return FactorPanel(
        expression,
        np.asarray(dates, dtype="datetime64[ns]"),
        tuple(str(c) for c in codes),
        wide(values[:, 0]),
        returns,
        members,
    )


def run_factor_eval(
    request: EvaluateFactor, data_dir: Path, cancel: CancelToken | None = None, store_file: Path | None = None
) -> Generator[Any, None, None]:
    """The job behind `factor eval`: export the store, read the factor's panel, yield FactorEvaluated last.
    `store_file` is the market store when it is not the data folder's own (the demo's)."""
    from core.data.qlib_runtime import init_qlib
    from core.research.dataset_builder import universe_spans
    from core.research.factors.metrics import evaluate_panel
    from core.research.training import WORK_DIR, StageProgress, export_store

    cancel = cancel or CancelToken()
    provider = yield from export_store(Path(data_dir), cancel, store_file)
    check_dates(provider, request.start, request.end)
    init_qlib(provider, Path(data_dir) / WORK_DIR)
    spans = universe_spans(request.universe, request.start, request.end)
    if not spans:
        raise ValueError(f"universe {request.universe!r} has no instruments between {request.start} and {request.end}")
    panel = None
    steps = load_panel(
        provider, spans, request.start, request.end, request.expression, request.horizons, cancel.raise_if_cancelled
    )
    for step in steps:
        if isinstance(step, FactorPanel):
            panel = step
        else:
            yield StageProgress(step[0], step[1] + 1, "computing the factor", stage="factor")
            cancel.raise_if_cancelled()
    assert panel is not None
    yield StageProgress(len(spans), len(spans) + 1, "scoring", stage="factor")
    cancel.raise_if_cancelled()
    result = evaluate_panel(panel, request.quantiles)
    yield StageProgress(len(spans) + 1, len(spans) + 1, "scored", stage="factor")
    yield FactorEvaluated(request, result)


@dataclass(frozen=True)
class FactorEvaluated:
    """The evaluation is done: `result` is a core.research.factors.metrics.FactorResult."""

    request: EvaluateFactor
    result: Any
