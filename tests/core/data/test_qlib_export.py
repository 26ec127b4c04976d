"""Round trip: CSV -> store -> Qlib provider folder -> qlib's own reader, offline."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.data.importer import import_one
from core.data.qlib_export import ExportSummary, export_qlib
from core.data.qlib_runtime import init_qlib
from core.storage import MarketStore
from tests.realdata import read_lines, write_lines

# 000002.SZ has a long 2015-16 suspension; 600004.SH lacks `amount` in 2022; 000024.SZ and 600005.SH
# were delisted (2015, 2017); 000300.SH and 000001.SH are indices.
STOCKS = ["600000.SH", "000001.SZ", "000002.SZ", "600004.SH", "000024.SZ", "600005.SH"]
INDICES = ["000300.SH", "000001.SH"]


def _export(store: MarketStore, directory: Path) -> ExportSummary:
    *_, summary = export_qlib(store, directory)
    assert isinstance(summary, ExportSummary)
    return summary


@pytest.fixture(scope="module")
def provider(cn_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("qlib")
    store = MarketStore.open(root / "market.sqlite")
    for sym in STOCKS:
        assert import_one(store, cn_data / "daily" / f"{sym}.csv").ok
    for sym in INDICES:
        assert import_one(store, cn_data / "index" / "daily" / f"{sym}.csv").ok
    assert import_one(store, cn_data / "index" / "constituents" / "csi300_membership_intervals.csv").ok
    summary = _export(store, root / "provider")
    assert summary.mode == "full" and summary.indices == ("csi300",)
    store.close()
    init_qlib(root / "provider", root / "work", kernels=1)
    return root / "provider"


def _expected(cn_data: Path, symbol: str) -> pd.DataFrame:
    raw = pd.read_csv(cn_data / "daily" / f"{symbol}.csv", index_col="date", parse_dates=True)
    return pd.DataFrame(
        {
            "$open": raw["open"] * raw["factor"],
            "$high": raw["high"] * raw["factor"],
            "$low": raw["low"] * raw["factor"],
            "$close": raw["close"] * raw["factor"],
            "$volume": raw["volume"] / raw["factor"],
            "$factor": raw["factor"],
            "$vwap": raw["amount"] / raw["volume"] * raw["factor"],
        }
    )


@pytest.mark.parametrize("symbol", ["600000.SH", "000002.SZ", "600004.SH", "000024.SZ"])
def test_features_equal_adjusted_csv_values(provider: Path, cn_data: Path, symbol: str) -> None:
    from qlib.data import D

    expected = _expected(cn_data, symbol)
    qcode = symbol[-2:] + symbol[:6]
    got = D.features([qcode], list(expected.columns), start_time="2007-01-01", end_time="2022-12-31")
    got = got.droplevel("instrument")
    traded = got.loc[expected.index]
    np.testing.assert_allclose(traded.to_numpy(), expected.to_numpy().astype(np.float32), rtol=2e-7, equal_nan=True)
    # Days inside the span with no bar (suspensions) are NaN, never a copied price.
    suspended = got.index.difference(expected.index)
    assert got.loc[suspended, "$close"].isna().all()
    if symbol == "000002.SZ":
        assert len(suspended) > 100


def test_calendar_and_universes(provider: Path, cn_data: Path) -> None:
    from qlib.data import D

    calendar = [d.strftime("%Y-%m-%d") for d in D.calendar(start_time="2007-01-01", end_time="2022-12-31")]
    dates: set[str] = set()
    for sym in STOCKS:
        dates |= {ln[:10] for ln in read_lines(cn_data / "daily" / f"{sym}.csv")[1:]}
    for sym in INDICES:
        dates |= {ln[:10] for ln in read_lines(cn_data / "index" / "daily" / f"{sym}.csv")[1:]}
    assert calendar == sorted(dates)
    everything = D.list_instruments(D.instruments("all"), as_list=True)
    assert sorted(everything) == sorted(s[-2:] + s[:6] for s in STOCKS)  # indices are not universe members
    members = D.list_instruments(D.instruments("csi300"), start_time="2015-01-05", end_time="2015-01-05", as_list=True)
    assert "SH600000" in members and "SZ000024" in members and len(members) == 300
    index = D.features(["SH000300"], ["$close"], start_time="2022-12-30", end_time="2022-12-30")
    last = read_lines(cn_data / "index" / "daily" / "000300.SH.csv")[-1].split(",")
    assert index.iloc[0, 0] == pytest.approx(float(last[4]), rel=1e-6)


def test_alpha158_handler_runs_on_the_export(provider: Path) -> None:
    from qlib.contrib.data.handler import Alpha158

    handler = Alpha158(
        instruments=["SH600000", "SZ000001", "SZ000002", "SH600004"],
        start_time="2019-01-01",
        end_time="2019-12-31",
        fit_start_time="2019-01-01",
        fit_end_time="2019-06-30",
    )
    features = handler.fetch(col_set="feature")
    label = handler.fetch(col_set="label")
    assert features.shape[1] == 158
    assert len(features) == 4 * 244  # four stocks, every 2019 trading day
    assert features["KMID"].notna().mean() > 0.95 and label.notna().to_numpy().mean() > 0.9


def _bins(directory: Path) -> dict[str, bytes]:
    return {str(p.relative_to(directory)): p.read_bytes() for p in sorted(directory.rglob("*.bin"))}


def test_incremental_export_matches_a_fresh_full_export(cn_data: Path, tmp_path: Path) -> None:
    store = MarketStore.open(tmp_path / "market.sqlite")
    files = {sym: read_lines(cn_data / "daily" / f"{sym}.csv") for sym in ["600000.SH", "000001.SZ", "600004.SH"]}
    (tmp_path / "old").mkdir()
    for sym, lines in files.items():
        import_one(store, write_lines(tmp_path / "old" / f"{sym}.csv", lines[:-1]))
    incremental = tmp_path / "incremental"
    assert _export(store, incremental).mode == "full"
    for sym in files:  # one more day arrives
        import_one(store, cn_data / "daily" / f"{sym}.csv")
    summary = _export(store, incremental)
    assert (summary.mode, summary.appended, summary.rewritten) == ("incremental", 3, 0)
    fresh = tmp_path / "fresh"
    shutil.copytree(incremental, tmp_path / "before-edit")
    assert _export(store, fresh).mode == "full"
    assert _bins(incremental) == _bins(fresh)
    assert (incremental / "calendars" / "day.txt").read_text() == (fresh / "calendars" / "day.txt").read_text()
    # Editing history (a re-based factor) rewrites that symbol only.
    lines = files["600004.SH"]
    edited = [lines[0]] + [ln.replace(",2.20061077", ",2.2006") for ln in lines[1:]]
    (tmp_path / "edit").mkdir()
    assert import_one(store, write_lines(tmp_path / "edit" / "600004.SH.csv", edited)).updated > 0
    summary = _export(store, incremental)
    assert (summary.rewritten, summary.appended) == (1, 0)
    assert (
        _bins(incremental)["features/sh600004/factor.day.bin"]
        != _bins(tmp_path / "before-edit")["features/sh600004/factor.day.bin"]
    )
    assert _export(store, incremental).mode == "unchanged"
    store.close()


def test_export_refuses_a_folder_it_did_not_write(store: MarketStore, cn_data: Path, tmp_path: Path) -> None:
    import_one(store, cn_data / "daily" / "600000.SH.csv")
    foreign = tmp_path / "someone-elses-qlib-data"
    (foreign / "features").mkdir(parents=True)
    with pytest.raises(ValueError, match="not empty"):
        _export(store, foreign)
    assert (foreign / "features").exists()


def test_feature_cache_serves_repeats_and_never_a_stale_export(provider: Path, tmp_path: Path) -> None:
    from core.data.feature_cache import FeatureCache

    cache = FeatureCache(tmp_path / "cache")
    fields = ["$close", "Mean($close, 5)"]
    cold = cache.features(provider, ["SH600000", "SZ000001"], fields, "2020-01-01", "2020-03-31")
    warm = cache.features(provider, ["SH600000", "SZ000001"], fields, "2020-01-01", "2020-03-31")
    assert (cache.misses, cache.hits) == (1, 1)
    pd.testing.assert_frame_equal(cold, warm)
    other = cache.features(provider, ["SH600000"], fields, "2020-01-01", "2020-03-31")
    assert cache.misses == 2 and len(other) < len(cold)
    key = FeatureCache.key(provider, ["SH600000"], fields, "2020-01-01", "2020-03-31", "day")
    manifest = provider / ".qdesk_export.json"
    original = manifest.read_text()
    try:  # a newer export of the same folder must not hit entries of the older one
        manifest.write_text(original.replace('"revision": ', '"revision": 1000'))
        assert FeatureCache.key(provider, ["SH600000"], fields, "2020-01-01", "2020-03-31", "day") != key
    finally:
        manifest.write_text(original)
    cache.close()
