"""Score stored days with a registered run: its model and the feature processing fitted at training.

Features are Qlib's own expressions on the store's export, evaluated by the columnar engine
(core.research.columnar: every instrument at once, Qlib's extended windows, equal values) over only
the window the scored days need: each expression's own look-back before `start`, so scoring one new
day reads a few months of bars, never the whole history, and no bar after a day reaches its score.
`engine="qlib"` reads the same window through Qlib's loader instead (the reference it is tested against).
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.datasets.config import DatasetConfig, Segments
from core.jobs import CancelToken, Progress
from core.paths import store_path
from core.research.config import StartTraining
from core.research.registry import RunRegistry

if TYPE_CHECKING:
    import pandas as pd

    from core.datasets.prepared import PreparedDataset

_CHUNKS = 10
_ONE_BLOCK_ROWS = 400  # calendar rows up to which all instruments are evaluated together
# Scoring rows must sit in the "test" segment of a dataset; the other two segments are placeholders.
_PLACEHOLDER_TRAIN = ("1900-01-01", "1900-01-01")
_PLACEHOLDER_VALID = ("1900-01-02", "1900-01-02")


@dataclass(frozen=True, slots=True)
class ScoreProgress(Progress):
    """A step of scoring: 'export', 'features' or 'predict'."""

    stage: str = ""


@dataclass(frozen=True, slots=True)
class Scores:
    """Scores of every universe member on each day: columns datetime, instrument (600000.SH), score."""

    run_id: str
    frame: pd.DataFrame
    days: tuple[str, ...]
    read_from: str  # the first calendar day Qlib read bars from (the look-back)
    newest_stored: str  # the store's newest trading day when scoring ran
    seconds: float

    def summary(self) -> str:
        """A short text for the command line: days, rows, look-back and the top names of the last day."""
        if self.frame.empty:
            return f"run {self.run_id}: no scores for {', '.join(self.days) or 'no day'}"
        last = self.frame[self.frame["datetime"] == self.frame["datetime"].max()]
        top = last.sort_values(["score", "instrument"], ascending=[False, True]).head(5)
        tops = ", ".join(f"{r.instrument} {r.score:+.4f}" for r in top.itertuples())
        span = self.days[0] if len(self.days) == 1 else f"{self.days[0]}..{self.days[-1]}"
        return (
            f"run {self.run_id}: scored {len(self.frame)} rows over {len(self.days)} day(s) {span} "
            f"(bars read from {self.read_from}, store newest {self.newest_stored}) in {self.seconds:.1f}s\n"
            f"top on {self.days[-1]}: {tops}"
        )


def score_days(
    data_dir: Path,
    run_id: str,
    start: str | None = None,
    end: str | None = None,
    cancel: CancelToken | None = None,
    registry: RunRegistry | None = None,
    store_file: Path | None = None,
    export: bool = True,
    engine: str = "columnar",
) -> Iterator[ScoreProgress | Scores]:
    """Yield progress, then the Scores of every stored trading day in [start, end] (default: the newest).

    `export=False` skips refreshing the Qlib export (a caller scoring day after day exports once).
    """
    from core.research.dataset_builder import ENGINES
    from core.research.training import PROVIDER_DIR, WORK_DIR

    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    cancel = cancel or CancelToken()
    started = time.perf_counter()
    data_dir = Path(data_dir)
    registry = registry or RunRegistry(data_dir)
    record = registry.get(run_id)
    if "ensemble" in record.config:
        yield from _score_ensemble(data_dir, record, start, end, cancel, registry, store_file, export, engine)
        return
    processors = registry.infer_processors(run_id)  # a run without them is refused before any work
    config = StartTraining.from_dict(record.config).dataset
    store_file = Path(store_file) if store_file is not None else store_path(data_dir)
    if not store_file.exists():
        raise ValueError(f"no market store at {store_file}; import data first (data import PATH...)")
    provider = store_file.parent / PROVIDER_DIR
    if export:
        yield from _export(store_file, provider, cancel)
    from core.data.qlib_runtime import init_qlib

    init_qlib(provider, data_dir / WORK_DIR)
    model = _load_model(registry, run_id)
    calendar = _calendar()
    days = _days_between(calendar, start, end)
    first = calendar.index(days[0])
    rows_from = calendar[max(0, first - _extra_rows(model))]
    lookback = feature_lookback(config.kind, config.factors)
    read_from = calendar[max(0, first - _extra_rows(model) - lookback)]
    frame = yield from _features(config, provider, rows_from, days[-1], cancel, engine, lookback)
    dataset = _prepared(config, frame, processors, days)
    yield ScoreProgress(0, 1, "scoring", stage="predict")
    scores = _predict(registry, record, model, dataset) if len(dataset) else []
    out = _score_frame(dataset, scores)
    yield ScoreProgress(1, 1, "scored", stage="predict")
    yield Scores(run_id, out, tuple(days), read_from, calendar[-1], time.perf_counter() - started)


def _score_ensemble(
    data_dir: Path,
    record: Any,
    start: str | None,
    end: str | None,
    cancel: CancelToken,
    registry: RunRegistry,
    store_file: Path | None,
    export: bool,
    engine: str,
) -> Iterator[ScoreProgress | Scores]:
    """Score every member on the days and combine them as the ensemble was registered."""
    from core.research.ensemble import combine

    started = time.perf_counter()
    spec = record.config["ensemble"]
    members: list[Scores] = []
    for k, member in enumerate(spec["members"]):
        for item in score_days(data_dir, member, start, end, cancel, registry, store_file, export and k == 0, engine):
            if isinstance(item, Scores):
                members.append(item)
            else:
                yield item
    frames = [m.frame.set_index(["datetime", "instrument"]) for m in members]
    out = combine(frames, spec["method"]).reset_index()
    days = members[0].days
    yield Scores(
        record.run_id,
        out,
        days,
        min(m.read_from for m in members),
        members[0].newest_stored,
        time.perf_counter() - started,
    )


def _predict(registry: RunRegistry, record: Any, newest: Any, dataset: PreparedDataset) -> Any:
    """Scores of the dataset's rows; a walk-forward run scores each day with the sub-model of its window."""
    import dataclasses

    import numpy as np

    windows = record.config.get("rolling", {}).get("windows")
    if not windows:
        return newest.predict(dataset, "test")
    from core.models import load_model
    from core.research.rolling import window_of_days

    days = [str(d)[:10] for d in np.unique(dataset.dates[dataset.rows("test")])]
    owner = window_of_days(windows, days)
    parts = []
    for k in sorted(set(owner)):
        mine = [d for d, o in zip(days, owner, strict=True) if o == k]
        segments = dataclasses.replace(dataset.config.segments, test=(mine[0], mine[-1]))
        view = dataclasses.replace(dataset, config=dataclasses.replace(dataset.config, segments=segments))
        folder = registry.run_dir(record.run_id)
        model = newest if k == len(windows) - 1 else load_model(folder / windows[k]["model_file"], device="cpu")
        parts.append(model.predict(view, "test"))
    return np.concatenate(parts)


def _export(store_file: Path, provider: Path, cancel: CancelToken) -> Iterator[ScoreProgress]:
    from core.data.qlib_export import export_qlib
    from core.storage import MarketStore

    store = MarketStore.open(store_file)
    try:
        for step in export_qlib(store, provider, cancel):
            if isinstance(step, Progress):
                yield ScoreProgress(step.done, step.total, "exporting the store for Qlib", stage="export")
    finally:
        store.close()


def _load_model(registry: RunRegistry, run_id: str) -> Any:
    from core.models import load_model

    return load_model(registry.model_path(run_id), device="cpu")


def _calendar() -> list[str]:
    from qlib.data import D

    return [str(d)[:10] for d in D.calendar(freq="day")]


def _days_between(calendar: list[str], start: str | None, end: str | None) -> list[str]:
    if not calendar:
        raise ValueError("the Qlib export has no trading days")
    for name, value in (("--start", start), ("--end", end)):
        if value is not None:
            try:
                dt.date.fromisoformat(value)
            except ValueError:
                raise ValueError(f"bad {name} {value!r}: expected YYYY-MM-DD") from None
    last = end or calendar[-1]
    first = start or last
    if first > last:
        raise ValueError(f"--start {first} is after --end {last}")
    days = [d for d in calendar if first <= d <= last]
    if not days:
        raise ValueError(f"no stored trading day between {first} and {last} (store: {calendar[0]}..{calendar[-1]})")
    return days


def feature_lookback(kind: str, factors: tuple[tuple[str, str], ...] = ()) -> int:
    """Trading days before a day that its features read: Qlib's own extended window of each expression."""
    from qlib.data.data import ExpressionD

    from core.research.dataset_builder import feature_config

    exprs, _ = feature_config(kind, factors)
    return max(ExpressionD.get_expression_instance(e).get_extended_window_size()[0] for e in exprs)


def _extra_rows(model: Any) -> int:
    """Rows before the first day a sequence model reads (its window), beyond what the features need."""
    layout = getattr(model, "layout", None)
    return max(0, int(layout.step_len) - 1) if layout is not None and layout.kind == "window" else 0


def _features(
    config: DatasetConfig, provider: Path, start: str, end: str, cancel: CancelToken, engine: str, lookback: int
) -> Generator[ScoreProgress, None, pd.DataFrame]:
    """Raw features (no label) of the universe's members on [start, end], Qlib's (datetime, instrument) order."""
    import pandas as pd

    from core.research.dataset_builder import feature_config, feature_operators, read_chunk, universe_spans

    spans = universe_spans(config.universe, start, end)
    if not spans:
        raise ValueError(f"universe {config.universe!r} has no instruments between {start} and {end}")
    exprs, names = feature_config(config.kind, config.factors)
    codes = sorted(spans)
    frames = []
    if engine == "columnar":
        from core.research.feature_blocks import CHUNK, compute_features

        # A few days' window holds little: every instrument in one block saves the per-operation overhead.
        block = len(codes) if _rows_between(provider, start, end) + lookback <= _ONE_BLOCK_ROWS else CHUNK

        # The label's forward look is computed on the few rows after `end` that exist, then dropped.
        # Only the look-back the features need is read before `start`: the rows scored and their windows.
        for step in compute_features(
            provider,
            spans,
            start,
            end,
            exprs,
            names,
            config.label,
            cancel.raise_if_cancelled,
            lookback,
            block,
            operators=feature_operators(),
        ):
            if isinstance(step, tuple):
                yield ScoreProgress(step[0], step[1], "computing features", stage="features")
                cancel.raise_if_cancelled()
            elif not step.empty:
                frames.append(step.drop(columns="label", level=0))
    else:
        size = max(1, -(-len(codes) // _CHUNKS))
        for i in range(0, len(codes), size):
            chunk = codes[i : i + size]
            frames.append(read_chunk(chunk, exprs, names, None, spans, start, end))
            yield ScoreProgress(i + len(chunk), len(codes), "reading features", stage="features")
            cancel.raise_if_cancelled()
    frames = [f for f in frames if not f.empty]
    if not frames:
        raise ValueError(f"the universe has no bars between {start} and {end}")
    return pd.concat(frames).swaplevel().sort_index()


def _rows_between(provider: Path, start: str, end: str) -> int:
    days = (provider / "calendars" / "day.txt").read_text().split()
    return sum(1 for d in days if start <= d[:10] <= end)


def _prepared(
    config: DatasetConfig, frame: pd.DataFrame, processors: tuple[Any, ...], days: list[str]
) -> PreparedDataset:
    """The features through the fitted processors exactly as training applied them (Qlib's own runner)."""
    import numpy as np
    import pandas as pd
    from qlib.data.dataset.handler import DataHandlerLP

    from core.datasets.prepared import PreparedDataset

    processed = DataHandlerLP._run_proc_l(frame.copy(), list(processors), with_fit=False, check_for_infer=True)
    features = processed["feature"]
    instruments = features.index.get_level_values("instrument")
    codes, uniques = pd.factorize(instruments, sort=True)
    n = len(features)
    segments = Segments(_PLACEHOLDER_TRAIN, _PLACEHOLDER_VALID, (days[0], days[-1]))
    return PreparedDataset(
        config=DatasetConfig(
            kind=config.kind,
            universe=config.universe,
            segments=segments,
            label=config.label,
            feature_norm=config.feature_norm,
            fill_nan=config.fill_nan,
            label_norm=config.label_norm,
            factors=config.factors,
        ),
        feature_names=tuple(str(c) for c in features.columns),
        features=np.ascontiguousarray(features.to_numpy(dtype=np.float32)),
        label=np.full(n, np.nan, dtype=np.float32),
        raw_label=np.full(n, np.nan, dtype=np.float32),
        dates=features.index.get_level_values("datetime").to_numpy(dtype="datetime64[ns]"),
        instrument_codes=codes.astype(np.int32),
        instrument_names=tuple(str(u) for u in uniques),
    )


def _score_frame(dataset: PreparedDataset, scores: Any) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    from core.domain.symbols import parse_symbol

    rows = dataset.rows("test")
    names = np.asarray([str(parse_symbol(n)) for n in dataset.instrument_names], dtype=object)
    return pd.DataFrame(
        {
            "datetime": pd.DatetimeIndex(dataset.dates[rows]),
            "instrument": names[dataset.instrument_codes[rows]],
            "score": np.asarray(scores, dtype="float64"),
        }
    ).reset_index(drop=True)


def write_scores(frame: pd.DataFrame, path: Path) -> Path:
    """Write scores as csv or parquet by the file's extension."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".parquet"):
        raise ValueError(f"--out {path}: expected a .csv or .parquet file")
    path.parent.mkdir(parents=True, exist_ok=True)
    out = frame.assign(datetime=frame["datetime"].dt.strftime("%Y-%m-%d"))
    if suffix == ".csv":
        out.to_csv(path, index=False)  # full precision: ties must survive a round trip
    else:
        out.to_parquet(path, index=False)
    return path
