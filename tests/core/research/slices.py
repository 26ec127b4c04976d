"""Small real-data slices for research tests: a few dozen CSI300 stocks over a few years, exported for Qlib."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import pytest

from core.data.importer import import_one
from core.data.qlib_export import export_qlib
from core.datasets.config import DatasetConfig, Segments
from core.paths import store_path
from core.storage import MarketStore

SLICE_START, SLICE_END = "2010-01-01", "2013-12-31"
# Train 2010-2012H1 (the first ~60 days only warm up Alpha158's windows), valid 2012H2, test 2013.
SLICE_SEGMENTS = Segments(("2010-01-01", "2012-06-30"), ("2012-07-01", "2012-12-31"), ("2013-01-01", "2013-12-31"))


@dataclass(frozen=True)
class Slice:
    data_dir: Path  # holds market.sqlite (the store) and whatever the research code writes
    provider: Path  # the Qlib export of the store
    symbols: tuple[str, ...]

    def config(self, kind: str = "alpha158", **kwargs: object) -> DatasetConfig:
        return DatasetConfig(kind=kind, universe="csi300", segments=SLICE_SEGMENTS, **kwargs)  # type: ignore[arg-type]


def members_throughout(cn_data: Path, start: str, end: str, count: int) -> list[str]:
    """The first `count` symbols (sorted) that were CSI300 members for the whole span and traded in it."""
    spans = pd.read_csv(cn_data / "index" / "constituents" / "csi300_membership_intervals.csv", dtype=str)
    inside = spans[(spans["start"] <= start) & (spans["end"] >= end)]
    out = []
    for symbol in sorted(set(inside["symbol"])):
        path = cn_data / "daily" / f"{symbol}.csv"
        if path.exists():
            out.append(symbol)
        if len(out) == count:
            break
    return out


def members_during(cn_data: Path, start: str, end: str) -> list[str]:
    """Every symbol (sorted) that was a CSI300 member at some time in [start, end] and has daily bars."""
    spans = pd.read_csv(cn_data / "index" / "constituents" / "csi300_membership_intervals.csv", dtype=str)
    inside = spans[(spans["start"] <= end) & (spans["end"] >= start)]
    return [s for s in sorted(set(inside["symbol"])) if (cn_data / "daily" / f"{s}.csv").exists()]


def build_slice(
    cn_data: Path,
    root: Path,
    count: int = 40,
    start: str = SLICE_START,
    end: str = SLICE_END,
    symbols: list[str] | None = None,
) -> Slice:
    """Import trimmed CSVs of `count` stocks (or of `symbols`) and their CSI300 membership into a store, export it
    for Qlib."""
    symbols = symbols if symbols is not None else members_throughout(cn_data, start, end, count)
    csv_dir = root / "csv"
    csv_dir.mkdir(parents=True)
    for symbol in symbols:
        frame = pd.read_csv(cn_data / "daily" / f"{symbol}.csv", dtype={"date": str})
        frame[(frame["date"] >= start) & (frame["date"] <= end)].to_csv(csv_dir / f"{symbol}.csv", index=False)
    spans = pd.read_csv(cn_data / "index" / "constituents" / "csi300_membership_intervals.csv", dtype=str)
    spans[spans["symbol"].isin(symbols)].to_csv(csv_dir / "csi300_membership_intervals.csv", index=False)
    data_dir = root / "data"
    data_dir.mkdir()
    store = MarketStore.open(store_path(data_dir))
    try:
        for path in sorted(csv_dir.iterdir()):
            report = import_one(store, path)
            assert report.ok, report.error
        provider = data_dir / "qlib"
        for _ in export_qlib(store, provider):
            pass
    finally:
        store.close()
    return Slice(data_dir, provider, tuple(symbols))


# Tiny segments for model tests: ~20 stocks x 6 months of training rows.
TINY_SEGMENTS = Segments(("2011-01-01", "2011-06-30"), ("2011-07-01", "2011-09-30"), ("2011-10-01", "2011-12-31"))


def tiny_config(s: Slice, kind: str = "alpha158", count: int = 20) -> DatasetConfig:
    return DatasetConfig(
        kind=kind, universe=tuple(f"{x[-2:]}{x[:6]}" for x in s.symbols[:count]), segments=TINY_SEGMENTS
    )


# A LightGBM small and quick enough for tests that need some trained run; each test changes what it must.
TINY_LIGHTGBM = {
    "num_boost_round": 10,
    "rounds_per_epoch": 10,
    "early_stop": 0,
    "num_threads": 1,
    "num_leaves": 15,
    "lambda_l1": 0.0,
    "lambda_l2": 1.0,
}


def train_tiny_lightgbm(s: Slice, count: int, seed: int, **params: object) -> str:
    """Train TINY_LIGHTGBM (with `params` changed) on the slice's first `count` stocks; the run id."""
    from core.research.config import StartTraining
    from core.research.training import RunFinished, run_training

    request = StartTraining(
        "lightgbm", tiny_config(s, count=count), {**TINY_LIGHTGBM, **params}, device="cpu", seed=seed
    )
    done = [r for r in run_training(request, s.data_dir) if isinstance(r, RunFinished)]
    return done[0].run_id


def dataset_for(s: Slice, config: DatasetConfig, cache_dir: Path | None = None):  # type: ignore[no-untyped-def]
    """Build (or fetch from the slice's cache) a dataset; Qlib is pointed at the slice's provider first."""
    from core.data.qlib_runtime import init_qlib
    from core.research.dataset_builder import DatasetCache, build_dataset

    init_qlib(s.provider, s.data_dir / "work")
    cache = DatasetCache(cache_dir or s.data_dir / "cache" / "datasets")
    try:
        *_, dataset = build_dataset(config, s.provider, cache)
    finally:
        cache.close()
    return dataset


@pytest.fixture(scope="session")
def research_slice(cn_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Slice:
    return build_slice(cn_data, tmp_path_factory.mktemp("research"))
