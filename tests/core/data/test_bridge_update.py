"""Update from the bridge against a real loopback bridge serving real bars from its own market store."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest

from core.bridge.auth import TokenStore
from core.bridge.client import BridgeAuthError
from core.bridge.server.runner import ServeOptions, ServerThread
from core.bridge.service import BridgeService, BridgeSettings
from core.bridge.sources.history import StoreHistory
from core.bridge.sources.sim import SimSource
from core.data.bridge_update import (
    BadBridgeBars,
    BridgeBars,
    SeriesUpdated,
    UpdatePlan,
    bars_frame,
    plan_updates,
    update_from_bridge,
)
from core.data.importer import import_files
from core.domain.bars import Bar, Freq
from core.jobs import Cancelled, CancelToken, Progress
from core.storage import MarketStore
from tests.realdata import read_lines, write_lines

TODAY = dt.date(2023, 1, 3)
SERIES = [("600000.SH", "1d"), ("000001.SZ", "1d"), ("000001.SZ", "1m")]


def _import(store: MarketStore, files: list[Path], freq: str) -> None:
    for progress in import_files(store, files, freq=freq, workers=1):
        assert progress.report is not None and progress.report.ok, progress.report


@pytest.fixture(scope="module")
def bridge(cn_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str, Path]]:
    """A bridge whose history is a store holding the full real series; yields (url, token, that store)."""
    root = tmp_path_factory.mktemp("bridge-side")
    path = root / "market.sqlite"
    store = MarketStore.open(path)
    try:
        _import(store, [cn_data / "daily" / "600000.SH.csv", cn_data / "daily" / "000001.SZ.csv"], "1d")
        _import(store, [cn_data / "minute" / "000001.SZ.csv"], "1m")
    finally:
        store.close()
    with store_bridge(path, root) as (url, token):
        yield url, token, path


@contextmanager
def store_bridge(store_path: Path, config_dir: Path) -> Iterator[tuple[str, str]]:
    """A real bridge on 127.0.0.1 whose bar history is the store at `store_path`; yields (url, token)."""
    tokens = TokenStore(config_dir / "bridge.json")
    token = tokens.create("test")
    service = BridgeService(
        SimSource(n_symbols=20, interval=60.0, history=StoreHistory(store_path)),
        tokens,
        BridgeSettings(requests_per_s=10_000.0, request_burst=10_000),
    )
    thread = ServerThread(service, ServeOptions(host="127.0.0.1", port=0))
    address = thread.start()
    try:
        yield address.http_url, token
    finally:
        thread.stop()


@pytest.fixture()
def desktop(cn_data: Path, tmp_path: Path) -> Iterator[MarketStore]:
    """The desktop's store: 600000.SH daily only to 2020, half of January 2018 in minutes, no 000001.SZ daily."""
    daily = read_lines(cn_data / "daily" / "600000.SH.csv")
    partial = write_lines(tmp_path / "600000.SH.csv", [daily[0]] + [r for r in daily[1:] if r < "2021"])
    minutes = read_lines(cn_data / "minute" / "000001.SZ.csv")
    early = write_lines(tmp_path / "000001.SZ.csv", [minutes[0]] + [r for r in minutes[1:] if r < "2018-01-16"])
    store = MarketStore.open(tmp_path / "desktop.sqlite")
    _import(store, [partial], "1d")
    _import(store, [early], "1m")
    yield store
    store.close()


def _same_bars(a: MarketStore, b: MarketStore, symbol: str, freq: str) -> None:
    pd.testing.assert_frame_equal(a.read_bars(symbol, freq), b.read_bars(symbol, freq))


def test_plans_start_at_the_last_stored_bar_or_a_default_history(desktop: MarketStore) -> None:
    plans = {(p.symbol, p.freq.value): p for p in plan_updates(desktop, SERIES, TODAY)}
    assert plans[("600000.SH", "1d")].start == dt.datetime(2020, 12, 31)
    assert plans[("000001.SZ", "1m")].start == dt.datetime(2018, 1, 15, 15, 0)
    assert plans[("000001.SZ", "1d")].start == dt.datetime(2005, 1, 1)  # nothing stored yet


def test_update_downloads_the_missing_history_exactly(bridge: tuple[str, str, Path], desktop: MarketStore) -> None:
    url, token, source_path = bridge
    before = desktop.read_bars("600000.SH", "1d")
    with BridgeBars(url, token) as fetch:
        items = list(update_from_bridge(desktop, fetch, plan_updates(desktop, SERIES, TODAY)))
    results = {(r.symbol, r.freq): r for r in items if isinstance(r, SeriesUpdated)}
    progress = [p for p in items if isinstance(p, Progress)]
    assert [(p.done, p.total) for p in progress] == [(1, 3), (2, 3), (3, 3)]
    assert all(not r.error for r in results.values()), results
    source = MarketStore.open(source_path)
    try:
        for symbol, freq in SERIES:
            _same_bars(desktop, source, symbol, freq)  # identical to what the bridge holds, factors included
        expected_new = len(source.read_bars("600000.SH", "1d")) - len(before)
    finally:
        source.close()
    sh = results[("600000.SH", "1d")]
    assert sh.inserted == expected_new and sh.updated == 0 and sh.received == expected_new + 1
    assert results[("000001.SZ", "1m")].inserted == 11 * 240  # 16-31 January 2018
    assert "2022-12-30" in desktop.trading_days()

    # Nothing missing any more: a second update stores nothing new.
    with BridgeBars(url, token) as fetch:
        again = [
            r
            for r in update_from_bridge(desktop, fetch, plan_updates(desktop, SERIES, TODAY))
            if isinstance(r, SeriesUpdated)
        ]
    assert all(r.inserted == 0 and r.updated == 0 and r.received >= 1 for r in again)


def test_cancel_keeps_the_finished_series_and_touches_no_other(
    bridge: tuple[str, str, Path], desktop: MarketStore
) -> None:
    url, token, _ = bridge
    cancel = CancelToken()
    untouched = desktop.read_bars("000001.SZ", "1m")
    seen: list[object] = []
    with BridgeBars(url, token) as fetch, pytest.raises(Cancelled):
        for item in update_from_bridge(desktop, fetch, plan_updates(desktop, SERIES, TODAY), cancel):
            seen.append(item)
            if isinstance(item, SeriesUpdated):
                cancel.cancel()  # the user presses Cancel after the first series
    assert len([s for s in seen if isinstance(s, SeriesUpdated)]) == 1
    assert desktop.read_bars("600000.SH", "1d")["time"].iloc[-1] == "2022-12-30"
    assert desktop.read_bars("000001.SZ", "1d").empty
    pd.testing.assert_frame_equal(desktop.read_bars("000001.SZ", "1m"), untouched)


def test_a_refused_token_stops_the_update_with_a_clear_error(
    bridge: tuple[str, str, Path], desktop: MarketStore
) -> None:
    url, _, _ = bridge
    rows = desktop.read_bars("600000.SH", "1d")
    with BridgeBars(url, "not-the-token") as fetch, pytest.raises(BridgeAuthError, match="refused the token"):
        list(update_from_bridge(desktop, fetch, plan_updates(desktop, SERIES, TODAY)))
    pd.testing.assert_frame_equal(desktop.read_bars("600000.SH", "1d"), rows)


def test_an_unknown_symbol_is_reported_and_the_others_still_update(
    bridge: tuple[str, str, Path], desktop: MarketStore
) -> None:
    url, token, _ = bridge
    plans = plan_updates(desktop, [("600004.SH", "1d"), ("600000.SH", "1d")], TODAY)
    with BridgeBars(url, token) as fetch:
        results = [r for r in update_from_bridge(desktop, fetch, plans) if isinstance(r, SeriesUpdated)]
    assert results[0].symbol == "600004.SH" and results[0].received == 0 and results[0].inserted == 0
    assert results[1].inserted > 400


def test_bad_bars_are_refused_naming_symbol_time_and_field() -> None:
    plan = UpdatePlan("600000.SH", Freq.DAY, dt.datetime(2022, 1, 1))
    good = Bar("600000.SH", Freq.DAY, dt.datetime(2022, 1, 4), 8.5, 8.6, 8.4, 8.5, 1e6, 8.5e6, 10.0)
    inverted = Bar("600000.SH", Freq.DAY, dt.datetime(2022, 1, 5), 8.5, 8.3, 8.4, 8.5, 1e6)
    with pytest.raises(BadBridgeBars, match=r"600000.SH 2022-01-05: field 'high': high < low"):
        bars_frame(plan, [good, inverted])
    with pytest.raises(BadBridgeBars, match=r"field 'time': not after the previous bar \(2022-01-04\)"):
        bars_frame(plan, [good, good])
    frame = bars_frame(plan, [good])
    assert frame is not None and frame.iloc[0].tolist() == ["2022-01-04", 8.5, 8.6, 8.4, 8.5, 1e6, 8.5e6, 10.0]
