"""Build Alpha158/Alpha360 datasets on the exported provider: features, then Qlib's handler and processors.

Features are computed columnar from the provider's arrays (core.research.columnar: Qlib's own expressions,
every instrument at once, equal values) by default; `engine="qlib"` reads them through Qlib's loader instead,
the reference the columnar engine is tested against. Both work in blocks of instruments so the build reports
progress and can be cancelled; the blocks are then processed together by Qlib's DataHandlerLP
(cross-sectional processors need every instrument of a day at once). Built datasets are cached on disk, keyed
by their full config and the export revision they were read from.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.data.qlib_export import MANIFEST
from core.datasets.config import DatasetConfig
from core.datasets.prepared import PreparedDataset
from core.jobs import CancelToken, Progress

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

_CACHE_FORMAT = 2  # bump when the cached content changes meaning
_CACHE_LIMIT = 16 * 1024**3
_TARGET_CHUNKS = 20
ENGINES = ("columnar", "qlib")


def feature_config(kind: str, factors: tuple[tuple[str, str], ...] = ()) -> tuple[list[str], list[str]]:
    """Qlib's own expressions and column names for the dataset kind, then the added factors'."""
    if kind == "alpha158":
        from qlib.contrib.data.handler import Alpha158

        # Alpha158's handler adds its price features on top of the loader's defaults; reuse its config.
        exprs, names = Alpha158.get_feature_config(None)
    else:
        from qlib.contrib.data.loader import Alpha360DL

        exprs, names = Alpha360DL.get_feature_config()
    taken = set(names)
    for name, expression in factors:
        if name in taken:
            raise ValueError(f"factor {name} has the name of a {kind} feature; rename it")
        exprs, names = [*exprs, expression], [*names, name]
    return list(exprs), list(names)


def feature_operators() -> dict[str, Any]:
    """The columnar engine's operators: Alpha158/Alpha360's and those factors use."""
    from core.research.factors.operators import FACTOR_OPERATORS

    return FACTOR_OPERATORS


def processor_configs(config: DatasetConfig) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(infer, learn) processor configs for Qlib's DataHandlerLP; normalisation is fitted on train."""
    fit = {"fit_start_time": config.segments.train[0], "fit_end_time": config.segments.train[1]}
    infer: list[dict[str, Any]] = []
    if config.feature_norm == "robust_zscore":
        infer.append({"class": "RobustZScoreNorm", "kwargs": {"fields_group": "feature", "clip_outlier": True, **fit}})
    elif config.feature_norm == "zscore":
        infer.append({"class": "ZScoreNorm", "kwargs": {"fields_group": "feature", **fit}})
    if config.fill_nan:
        infer.append({"class": "Fillna", "kwargs": {"fields_group": "feature"}})
    learn: list[dict[str, Any]] = [{"class": "DropnaLabel"}]
    if config.label_norm == "cs_rank":
        learn.append({"class": "CSRankNorm", "kwargs": {"fields_group": "label"}})
    elif config.label_norm == "cs_zscore":
        learn.append({"class": "CSZScoreNorm", "kwargs": {"fields_group": "label"}})
    return infer, learn


def export_fingerprint(provider_dir: Path) -> list[Any]:
    """Which export a provider folder holds; a re-export of changed data gives a new value."""
    manifest = Path(provider_dir) / MANIFEST
    if manifest.exists():
        content = json.loads(manifest.read_text())
        return [content.get("store_id"), content.get("revision")]
    calendar = Path(provider_dir) / "calendars" / "day.txt"
    return [None, calendar.stat().st_mtime_ns if calendar.exists() else None]


def dataset_key(config: DatasetConfig, provider_dir: Path) -> str:
    export = export_fingerprint(provider_dir)
    # A QDesk export is identified by its store and revision wherever the folder lies (copies share
    # entries); a foreign folder only by its path and calendar time.
    where = None if export[0] is not None else str(Path(provider_dir).resolve())
    request = {"format": _CACHE_FORMAT, "config": config.to_dict(), "provider": where, "export": export}
    return hashlib.sha256(json.dumps(request, sort_keys=True).encode()).hexdigest()


class DatasetCache:
    """diskcache of built datasets; least recently used entries are evicted past the size limit."""

    def __init__(self, directory: Path, size_limit: int = _CACHE_LIMIT) -> None:
        import diskcache

        self._cache = diskcache.Cache(str(directory), size_limit=size_limit)

    def get(self, key: str) -> PreparedDataset | None:
        import pickle

        stored = self._cache.get(key, read=True)
        if stored is None or isinstance(stored, dict):  # entries written before datasets were streamed
            return PreparedDataset.from_state(stored) if stored is not None else None
        with stored:
            return PreparedDataset.from_state(pickle.load(stored))

    def put(self, key: str, dataset: PreparedDataset) -> None:
        """Pickled to a file and streamed into the cache: pickling to bytes would hold a second copy of the
        dataset in memory while it is written."""
        import pickle
        import tempfile

        with tempfile.TemporaryFile(dir=self._cache.directory) as file:
            pickle.dump(dataset.to_state(), file, protocol=pickle.HIGHEST_PROTOCOL)
            file.seek(0)
            self._cache.set(key, file, read=True)

    def __contains__(self, key: str) -> bool:
        return key in self._cache

    def clear(self) -> None:
        self._cache.clear()

    def close(self) -> None:
        self._cache.close()


def universe_spans(universe: str | tuple[str, ...], start: str, end: str) -> dict[str, list[tuple[Any, Any]]]:
    """Instrument -> membership spans within [start, end], from the provider's instruments files."""
    from qlib.data import D

    listed = D.list_instruments(D.instruments("all"), start_time=start, end_time=end, as_list=False)
    if isinstance(universe, str):
        try:
            members = D.list_instruments(D.instruments(universe), start_time=start, end_time=end, as_list=False)
        except (FileNotFoundError, ValueError) as exc:
            raise ValueError(
                f"universe {universe!r} is not in the exported data ({exc}); import its "
                "membership file (e.g. csi300_membership_intervals.csv) first"
            ) from None
        # A membership file names every member; only those with bars in the store can be read.
        return {code: spans for code, spans in members.items() if code in listed}
    unknown = [code for code in universe if code not in listed]
    if unknown:
        raise ValueError(f"no data between {start} and {end} for: {', '.join(unknown[:10])}")
    return {code: listed[code] for code in universe}


def build_dataset(
    config: DatasetConfig,
    provider_dir: Path,
    cache: DatasetCache | None = None,
    cancel: CancelToken | None = None,
    engine: str = "columnar",
) -> Iterator[Progress | PreparedDataset]:
    """Yield progress while reading and processing, then the dataset last (from the cache when built before)."""
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, not {engine!r}")
    key = dataset_key(config, provider_dir)
    if cache is not None:
        cached = cache.get(key)
        if cached is not None:
            yield Progress(1, 1, "dataset from cache")
            yield cached
            return
    start, end = config.segments.start, config.segments.end
    spans = universe_spans(config.universe, start, end)
    if not spans:
        raise ValueError(f"universe {config.universe!r} has no instruments between {start} and {end}")
    exprs, names = feature_config(config.kind, config.factors)
    codes = sorted(spans)
    size = max(1, -(-len(codes) // _TARGET_CHUNKS))
    frames: list[pd.DataFrame] = []
    total = len(codes) + 1
    from core.research import processors

    flat = engine == "columnar" and processors.handles(config.feature_norm, config.label_norm)
    blocks: list[Any] = []
    if engine == "columnar":
        from core.research.feature_blocks import BUFFER_DAYS, FeatureBlock, compute_blocks, compute_features

        check = cancel.raise_if_cancelled if cancel is not None else None
        buffer = max(BUFFER_DAYS, _lookback(exprs[len(exprs) - len(config.factors) :]) + 1)
        compute = compute_blocks if flat else compute_features
        steps = compute(
            provider_dir, spans, start, end, exprs, names, config.label, check, buffer, operators=feature_operators()
        )
        for step in steps:
            if isinstance(step, FeatureBlock):  # before the progress tuples: a NamedTuple is a tuple too
                blocks.append(step)
            elif isinstance(step, tuple):
                yield Progress(step[0], total, "computing features")
                if cancel is not None:
                    cancel.raise_if_cancelled()
            else:
                frames.append(step)
        codes = []  # nothing left for the loader
    for i in range(0, len(codes), size):
        chunk = codes[i : i + size]
        frames.append(read_chunk(chunk, exprs, names, config.label, spans, start, end))
        yield Progress(i + len(chunk), total, "reading features")
        if cancel is not None:
            cancel.raise_if_cancelled()
    dataset = _process_blocks(config, blocks, names) if flat else _process(config, frames, names)
    del frames
    yield Progress(total, total, "processed")
    if cache is not None:
        cache.put(key, dataset)
    yield dataset


def _lookback(expressions: list[str]) -> int:
    """Calendar rows the expressions read before a day (Qlib's extended window), 0 for none."""
    from core.research.columnar import extended_window, parse

    return max((extended_window(parse(e))[0] for e in expressions), default=0)


def read_chunk(
    codes: list[str],
    exprs: list[str],
    names: list[str],
    label: str | None,
    spans: dict[str, list[tuple[Any, Any]]],
    start: str,
    end: str,
) -> pd.DataFrame:
    """Features (+ label) of some instruments, kept only inside their membership spans (as Qlib masks them)."""
    import numpy as np
    import pandas as pd
    from qlib.data import D

    labels = [label] if label is not None else []
    frame = D.features(codes, [*exprs, *labels], start_time=start, end_time=end, freq="day")
    if frame.empty:
        return frame
    columns = [("feature", n) for n in names] + [("label", "LABEL0")] * len(labels)
    frame.columns = pd.MultiIndex.from_tuples(columns)
    instruments = frame.index.get_level_values("instrument")
    dates = frame.index.get_level_values("datetime")
    keep = np.zeros(len(frame), dtype=bool)
    for code, code_spans in spans.items():
        mine = instruments == code
        if not mine.any():
            continue
        inside = np.zeros(len(frame), dtype=bool)
        for begin, stop in code_spans:
            inside |= (dates >= pd.Timestamp(begin)) & (dates <= pd.Timestamp(stop))
        keep |= mine & inside
    return frame[keep]


def _process_blocks(config: DatasetConfig, blocks: list[Any], names: list[str]) -> PreparedDataset:
    """The columnar blocks laid out in Qlib's (datetime, instrument) order in one float32 matrix, then the
    processors on it (core.research.processors), equal to Qlib's handler's output.

    Each block's rows are copied to their sorted places and the block is dropped at once, so the values
    are held about once, not once per pandas step (concat, sort, column selection, contiguous copy).
    """
    import numpy as np
    import pandas as pd

    if not blocks or sum(len(b.values) for b in blocks) == 0:
        raise ValueError("the universe has no bars in the requested date range")
    dates = np.concatenate([b.dates.to_numpy(dtype="datetime64[ns]") for b in blocks])
    codes, uniques = pd.factorize(np.concatenate([b.instruments for b in blocks]), sort=True)
    order = np.lexsort((codes, dates))  # by day, then instrument: Qlib's sorted (datetime, instrument) index
    target = np.empty(len(order), dtype=np.int64)
    target[order] = np.arange(len(order))
    width = blocks[0].values.shape[1]
    matrix = np.empty((len(order), width - 1), dtype=np.float32)
    raw_label = np.empty(len(order), dtype=np.float32)
    offset = 0
    while blocks:
        block = blocks.pop(0)
        rows = target[offset : offset + len(block.values)]
        matrix[rows] = block.values[:, :-1]
        raw_label[rows] = block.values[:, -1]
        offset += len(block.values)
        del block
    return _processed(config, names, matrix, raw_label, dates[order], codes[order].astype(np.int32), uniques)


def _processed(
    config: DatasetConfig,
    names: list[str],
    features: np.ndarray,
    raw_label: np.ndarray,
    dates: np.ndarray,
    codes: np.ndarray,
    uniques: Any,
) -> PreparedDataset:
    """RobustZScoreNorm (fitted on the train days), Fillna and the label's CSRankNorm, in place where they can."""
    import numpy as np

    from core.research import processors

    robust = None
    first, last = config.segments.train  # fitted on the train days, both ends included, as Qlib fits it
    if config.feature_norm == "robust_zscore":
        lo = np.searchsorted(dates, np.datetime64(first))
        hi = np.searchsorted(dates, np.datetime64(last) + np.timedelta64(1, "D"))
        robust = processors.robust_zscore(features, slice(int(lo), int(hi)))
    if config.fill_nan:
        processors.fill_nan(features)
    infer = processors.fitted_qlib_processors(names, (first, last), robust, config.fill_nan)
    label = processors.cs_rank(raw_label, dates) if config.label_norm == "cs_rank" else raw_label.copy()
    return PreparedDataset(
        config=config,
        feature_names=tuple(names),
        features=features,
        label=label,
        raw_label=raw_label,
        dates=dates,
        instrument_codes=codes,
        instrument_names=tuple(str(u) for u in uniques),
        infer_processors=infer,
    )


def _process(config: DatasetConfig, frames: list[pd.DataFrame], names: list[str]) -> PreparedDataset:
    import pickle

    import numpy as np
    import pandas as pd
    from qlib.data.dataset.handler import DataHandlerLP
    from qlib.data.dataset.loader import StaticDataLoader

    data = pd.concat([f for f in frames if not f.empty])
    if data.empty:
        raise ValueError("the universe has no bars in the requested date range")
    data = data.swaplevel().sort_index()  # Qlib's (datetime, instrument) order
    infer, learn = processor_configs(config)
    handler = DataHandlerLP(
        instruments=None,
        start_time=config.segments.start,
        end_time=config.segments.end,
        data_loader=StaticDataLoader(config=data),
        infer_processors=infer,
        learn_processors=learn,
        process_type=DataHandlerLP.PTYPE_A,
    )
    del data
    infer_df = handler.fetch(col_set="feature", data_key=DataHandlerLP.DK_I)
    raw_label = handler.fetch(col_set="label", data_key=DataHandlerLP.DK_R).reindex(infer_df.index)
    learn_label = handler.fetch(col_set="label", data_key=DataHandlerLP.DK_L).reindex(infer_df.index)
    instruments = infer_df.index.get_level_values("instrument")
    codes, uniques = pd.factorize(instruments, sort=True)
    return PreparedDataset(
        config=config,
        feature_names=tuple(names),
        features=np.ascontiguousarray(infer_df.to_numpy(dtype=np.float32)),
        label=learn_label.iloc[:, 0].to_numpy(dtype=np.float32),
        raw_label=raw_label.iloc[:, 0].to_numpy(dtype=np.float32),
        dates=infer_df.index.get_level_values("datetime").to_numpy(dtype="datetime64[ns]"),
        instrument_codes=codes.astype(np.int32),
        instrument_names=tuple(str(u) for u in uniques),
        infer_processors=pickle.dumps(list(handler.infer_processors)),
    )
