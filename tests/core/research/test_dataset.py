"""Alpha158/Alpha360 datasets on a real CSI300 slice: rows, label and features against the CSV, cache."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.datasets.config import DatasetConfig
from core.jobs import Cancelled, CancelToken
from core.research.dataset_builder import DatasetCache, build_dataset, dataset_key
from tests.core.research.slices import SLICE_SEGMENTS, Slice, dataset_for, tiny_config


def _calendar(s: Slice) -> pd.DatetimeIndex:
    return pd.DatetimeIndex(pd.to_datetime((s.provider / "calendars" / "day.txt").read_text().split()))


def _adjusted(s: Slice, symbol: str) -> pd.DataFrame:
    raw = pd.read_csv(s.data_dir.parent / "csv" / f"{symbol}.csv", index_col="date", parse_dates=True)
    adj = pd.DataFrame({"open": raw["open"] * raw["factor"], "close": raw["close"] * raw["factor"]})
    return adj.reindex(_calendar(s))  # suspended days are NaN on the calendar, as in the provider


def test_alpha158_rows_label_and_raw_features_match_the_csv(research_slice: Slice) -> None:
    s = research_slice
    codes = tuple(f"{x[-2:]}{x[:6]}" for x in s.symbols[:5])
    ds = dataset_for(s, DatasetConfig("alpha158", codes, SLICE_SEGMENTS, feature_norm="none", fill_nan=False))
    assert ds.n_features == 158 and ds.features.dtype == np.float32
    assert np.all(ds.dates[1:] >= ds.dates[:-1])  # (datetime, instrument) order
    start, end = pd.Timestamp(SLICE_SEGMENTS.start), pd.Timestamp(SLICE_SEGMENTS.end)
    kmid = ds.feature_names.index("KMID")
    for symbol in s.symbols[:5]:
        code = f"{symbol[-2:]}{symbol[:6]}"
        adj = _adjusted(s, symbol)
        traded = adj["close"].dropna().index
        span = adj.loc[max(start, traded[0]) : min(end, traded[-1])]
        mine = np.flatnonzero(np.asarray(ds.instrument_names)[ds.instrument_codes] == code)
        dates = pd.DatetimeIndex(ds.dates[mine])
        # Every calendar day of the stock's span in the range is a row (members throughout the slice).
        assert list(dates) == list(span.index)
        expected_label = (adj["close"].shift(-2) / adj["close"].shift(-1) - 1).reindex(dates).to_numpy()
        np.testing.assert_allclose(ds.raw_label[mine], expected_label, rtol=1e-5, atol=1e-6, equal_nan=True)
        expected_kmid = ((adj["close"] - adj["open"]) / adj["open"]).reindex(dates).to_numpy()
        np.testing.assert_allclose(ds.features[mine, kmid], expected_kmid, rtol=1e-4, atol=1e-6, equal_nan=True)


def test_alpha360_layout_and_processors(research_slice: Slice) -> None:
    s = research_slice
    ds = dataset_for(s, tiny_config(s, "alpha360"))  # the models' tests reuse it from the cache
    assert ds.n_features == 360
    assert ds.feature_names[:2] == ("CLOSE59", "CLOSE58") and ds.feature_names[59] == "CLOSE0"
    assert np.isfinite(ds.features).all()  # Fillna after the robust z-score
    assert np.abs(ds.features).max() <= 3.0 + 1e-6  # clipped outliers
    test = ds.rows("test")
    assert np.isnan(ds.label[ds.rows("test")]).sum() == np.isnan(ds.raw_label[test]).sum()  # DropnaLabel only
    # CSRankNorm: within each day the learned label orders rows exactly as the raw label does.
    train = ds.rows("train", labelled=True)
    frame = pd.DataFrame({"d": ds.dates[train], "y": ds.label[train], "r": ds.raw_label[train]})
    rho = frame.groupby("d").apply(lambda g: g["y"].corr(g["r"], method="spearman"))
    assert rho.min() > 0.999
    assert frame["y"].abs().max() <= 1.75


def test_cache_serves_the_same_dataset_and_keys_on_config(research_slice: Slice, tmp_path: Path) -> None:
    s = research_slice
    config = DatasetConfig("alpha158", tuple(f"{x[-2:]}{x[:6]}" for x in s.symbols[:3]), SLICE_SEGMENTS)
    first = dataset_for(s, config, tmp_path)
    cache = DatasetCache(tmp_path)
    steps = list(build_dataset(config, s.provider, cache))
    cache.close()
    assert steps[0].message == "dataset from cache"  # type: ignore[union-attr]
    np.testing.assert_array_equal(steps[-1].features, first.features)  # type: ignore[union-attr]
    other = DatasetConfig("alpha158", config.universe, SLICE_SEGMENTS, label_norm="cs_zscore")
    assert dataset_key(other, s.provider) != dataset_key(config, s.provider)


def test_cancel_and_bad_universe(research_slice: Slice) -> None:
    s = research_slice
    code = f"{s.symbols[0][-2:]}{s.symbols[0][:6]}"
    dataset_for(s, DatasetConfig("alpha158", (code,), SLICE_SEGMENTS))  # points Qlib at the slice
    token = CancelToken()
    steps = build_dataset(s.config("alpha360", label_norm="none"), s.provider, None, token)
    next(steps)
    token.cancel()
    with pytest.raises(Cancelled):
        list(steps)
    with pytest.raises(ValueError, match="csi800"):
        list(build_dataset(DatasetConfig("alpha158", "csi800", SLICE_SEGMENTS), s.provider))
    with pytest.raises(ValueError, match="SH688999"):
        list(build_dataset(DatasetConfig("alpha158", ("SH688999",), SLICE_SEGMENTS), s.provider))
