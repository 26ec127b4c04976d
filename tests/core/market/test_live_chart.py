"""LiveChart on real Level-1 snapshots: the 5-minute chart built tick by tick equals a pandas rebuild."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.domain.ticks import Tick
from core.market.chart_load import ChartLoaded, ChartRequest
from core.market.live_chart import LiveChart
from core.market.series import Adjust, BarSeries, Period
from core.market.studies import compute_studies

BEIJING = dt.timezone(dt.timedelta(hours=8))
SYMBOL = "600103.SH"


@pytest.fixture(scope="module")
def snapshots(cn_data: Path) -> pd.DataFrame:
    frame = pd.read_csv(cn_data / "tick" / "snapshot" / f"{SYMBOL}_2021-12-01.csv", parse_dates=["datetime"])
    return frame[frame["last"] > 0].reset_index(drop=True)  # before the auction matches there is no price


def _ticks(frame: pd.DataFrame) -> list[Tick]:
    return [
        Tick(
            SYMBOL,
            r.datetime.to_pydatetime().replace(tzinfo=BEIJING),
            r.last,
            r.open,
            r.high,
            r.low,
            r.preclose,
            float(r.volume),
            float(r.amount),
        )
        for r in frame.itertuples(index=False)
    ]


def _empty(period: Period) -> ChartLoaded:
    request = ChartRequest(SYMBOL, period, Adjust.NONE)
    nothing = BarSeries.empty()
    return ChartLoaded(request, nothing, nothing, compute_studies(nothing), 1.0)


def test_five_minute_bars_from_live_ticks_match_a_pandas_rebuild(snapshots: pd.DataFrame) -> None:
    live = LiveChart(_empty(Period.M5))
    appended = 0
    for tick in _ticks(snapshots):
        update = live.on_tick(tick, studies=False)
        assert update is not None
        appended += update.appended
    bars = live.bars

    # Reference: each snapshot belongs to the minute it ends in (09:25 auction print in the first
    # minute, 09:31), minutes to the 5-minute bucket ending at :35, :40, ...
    t = snapshots["datetime"]
    minute_end = t.dt.ceil("min").clip(lower=pd.Timestamp("2021-12-01 09:31"))
    bucket = minute_end.dt.ceil("5min")
    grouped = snapshots.assign(bucket=bucket).groupby("bucket")
    ref = pd.DataFrame(
        {
            "open": grouped["last"].first(),
            "high": grouped["last"].max(),
            "low": grouped["last"].min(),
            "close": grouped["last"].last(),
            "cum": grouped["volume"].last().astype(float),
        }
    )
    ref["volume"] = ref["cum"].diff().fillna(ref["cum"])

    assert appended == len(ref) == len(bars)
    np.testing.assert_array_equal(bars.time, ref.index.to_numpy().astype("datetime64[s]"))
    for field in ("open", "high", "low", "close", "volume"):
        np.testing.assert_allclose(getattr(bars, field), ref[field].to_numpy(), err_msg=field)
    assert str(bars.time[0]) == "2021-12-01T09:35:00"


def test_studies_follow_the_live_bars(snapshots: pd.DataFrame) -> None:
    live = LiveChart(_empty(Period.M1))
    update = None
    ticks = _ticks(snapshots)
    for tick in ticks[:-1]:
        live.on_tick(tick, studies=False)
    update = live.on_tick(ticks[-1])
    assert update is not None and len(live.bars) == 60  # 09:31 to 10:30
    closes = pd.Series(live.bars.close)
    assert update.studies["MA"]["MA5"] == pytest.approx(closes.tail(5).mean())
    assert update.studies["EMA"]["EMA12"] == pytest.approx(closes.ewm(span=12, adjust=False).mean().iloc[-1])


def test_other_symbols_and_late_ticks_change_nothing(snapshots: pd.DataFrame) -> None:
    live = LiveChart(_empty(Period.M1))
    ticks = _ticks(snapshots)
    for tick in ticks[:300]:
        live.on_tick(tick, studies=False)
    before = live.bars
    other = Tick("600000.SH", ticks[300].time, 9.9, 9.9, 9.9, 9.9, 9.9, 1.0, 1.0)
    assert live.on_tick(other) is None
    assert live.on_tick(ticks[10]) is None  # a tick for a minute already finished
    assert live.bars is before
