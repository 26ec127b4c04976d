"""分时 from real stored minute bars: slots without the lunch break, previous close, average price, limits, ticks."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from core.data.importer import import_files
from core.domain.ticks import Tick
from core.market.timeshare import SLOTS, LiveTimeShare, TimeShare, TimeShareLoaded, load_timeshare, slots_of
from core.storage import MarketStore


def _load(store: MarketStore, symbol: str, end: str | None = None) -> TimeShare:
    items = list(load_timeshare(store, symbol, end))
    loaded = items[-1]
    assert isinstance(loaded, TimeShareLoaded)
    return loaded.share


def _import(store: MarketStore, files: list[Path], freq: str) -> None:
    for _ in import_files(store, files, freq=freq):
        pass


def _rows(path: Path, day: str) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as f:
        return [r for r in csv.DictReader(f) if r["datetime"].startswith(day)]


def test_slots_skip_the_lunch_break() -> None:
    times = np.array(["2018-01-30 09:31", "2018-01-30 11:30", "2018-01-30 13:01", "2018-01-30 15:00"], "datetime64[s]")
    assert list(slots_of(times)) == [0, 119, 120, 239]


def test_newest_day_with_previous_close_average_and_limits(store: MarketStore, cn_data: Path) -> None:
    _import(store, [cn_data / "daily" / "000001.SZ.csv"], "1d")
    _import(store, [cn_data / "minute" / "000001.SZ.csv"], "1m")
    share = _load(store, "000001.SZ")
    assert str(share.day) == "2018-01-30" and share.traded == SLOTS
    assert share.pre_close == 13.74  # the stored daily close of 2018-01-29
    assert (share.limit_up, share.limit_down) == (15.11, 12.37)  # ±10% rounded to the fen
    rows = _rows(cn_data / "minute" / "000001.SZ.csv", "2018-01-30")
    assert len(rows) == SLOTS
    volume = np.array([float(r["volume"]) for r in rows])
    amount = np.array([float(r["amount"]) for r in rows])
    assert np.array_equal(share.price, [float(r["close"]) for r in rows])
    assert np.array_equal(share.volume, volume)
    # The average line is the day's amount so far over its volume so far, minute by minute.
    np.testing.assert_allclose(share.average, np.cumsum(amount) / np.cumsum(volume), rtol=1e-12)
    assert share.average[-1] == pytest.approx(amount.sum() / volume.sum())
    # An earlier day on request (a replay cut): its own previous close.
    earlier = _load(store, "000001.SZ", end="2018-01-03")
    assert str(earlier.day) == "2018-01-03" and earlier.pre_close == 13.70  # 2018-01-02's close


def test_zero_volume_minutes_keep_the_average_and_missing_amounts_weight_by_price(
    store: MarketStore, cn_data: Path
) -> None:
    _import(store, [cn_data / "minute" / "600020.SH.csv"], "1m")
    share = _load(store, "600020.SH")
    # No daily bar before 2021-01-04 is stored: the first minute's open is all there is to go by.
    assert str(share.day) == "2021-01-04" and share.pre_close == 3.39
    assert share.volume[237] == share.volume[238] == 0  # 14:58 / 14:59 closing-auction pause
    assert share.average[237] == share.average[238] == share.average[236]

    _import(store, [cn_data / "index" / "minute" / "000001.SH.csv"], "1m")
    index = _load(store, "000001.SH")
    rows = _rows(cn_data / "index" / "minute" / "000001.SH.csv", str(index.day))
    close = np.array([float(r["close"]) for r in rows])
    volume = np.array([float(r["volume"]) for r in rows])
    at = slots_of(np.array([r["datetime"] for r in rows], "datetime64[s]"))
    assert len(rows) == 239 and index.traded == SLOTS  # one minute of that day is missing: its slot stays
    np.testing.assert_allclose(index.average[at], np.cumsum(close * volume) / np.cumsum(volume))
    gap = int(np.flatnonzero(np.diff(at) > 1)[0]) + 1
    assert index.price[at[gap] - 1] == close[gap - 1] and index.volume[at[gap] - 1] == 0
    assert np.isnan(index.limit_up)  # indices have no price limits


def test_live_ticks_extend_the_day_and_open_the_next(store: MarketStore, cn_data: Path) -> None:
    _import(store, [cn_data / "minute" / "000001.SZ.csv"], "1m")
    _import(store, [cn_data / "daily" / "000001.SZ.csv"], "1d")
    share = _load(store, "000001.SZ", end="2018-01-02")
    cut = TimeShare(
        share.symbol,
        share.day,
        share.pre_close,
        np.r_[share.price[:60], np.full(SLOTS - 60, np.nan)],
        np.r_[share.average[:60], np.full(SLOTS - 60, np.nan)],
        np.r_[share.volume[:60], np.zeros(SLOTS - 60)],
    )
    live = LiveTimeShare(cut, closed_until=np.datetime64("2018-01-01"))
    done = float(cut.volume.sum())

    def tick(when: str, last: float, volume: float, amount: float, pre: float = 13.30) -> Tick:
        return Tick("000001.SZ", dt.datetime.fromisoformat(when), last, 13.35, 13.5, 13.3, pre, volume, amount)

    after = live.on_tick(tick("2018-01-02 10:32:10", 13.5, done + 1000, 1e9))
    assert after is not None and after.traded == 63  # 10:33 is slot 62: 10:31 and 10:32 keep the last price
    assert after.price[60] == after.price[61] == after.price[59] and after.volume[60] == after.volume[61] == 0
    assert after.price[62] == 13.5 and after.volume[62] == 1000
    assert after.average[62] == pytest.approx(1e9 / (done + 1000))
    assert live.on_tick(tick("2018-01-02 10:05:00", 13.4, done, 1e9)) is None  # a finished minute
    # The next day starts empty from the snapshot's previous close; the morning before it is in no minute.
    nxt = live.on_tick(tick("2018-01-03 13:05:00", 13.6, 5e6, 6.8e7, pre=13.55))
    assert nxt is not None and str(nxt.day) == "2018-01-03" and nxt.pre_close == 13.55
    assert nxt.traded == 125 and np.isnan(nxt.price[:124]).all() and nxt.volume[124] == 0
    assert (nxt.limit_up, nxt.limit_down) == (14.91, 12.2)
