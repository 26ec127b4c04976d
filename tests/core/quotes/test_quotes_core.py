"""Quote hub fan-out, market sessions, watchlists and the demo replay feed."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pytest

from core.data.importer import import_one
from core.domain.symbols import SymbolFormatError
from core.domain.ticks import Tick
from core.quotes.demo_feed import DemoReplayFeed, build_replay
from core.quotes.hub import QuoteHub
from core.quotes.session import BEIJING, MarketSession, market_session
from core.quotes.watchlists import WatchlistError, WatchlistStore
from core.storage import MarketStore


def tick(symbol: str, last: float, pre_close: float = 10.0) -> Tick:
    return Tick(symbol, dt.datetime(2023, 1, 3, 10, 0, tzinfo=BEIJING), last, 10.0, last, last, pre_close, 1e6, 1e7)


def test_hub_keeps_latest_and_survives_a_failing_listener() -> None:
    now = [0.0]
    hub = QuoteHub(clock=lambda: now[0])
    seen: list[str] = []

    def broken(_ticks: object) -> None:
        raise RuntimeError("view bug")

    hub.add_listener(broken)
    remove = hub.add_listener(lambda ticks: seen.extend(t.symbol for t in ticks))
    hub.publish([tick("600000.SH", 10.5), tick("000001.SZ", 9.0)])
    hub.publish([tick("600000.SH", 10.6)])
    assert seen == ["600000.SH", "000001.SZ", "600000.SH"]
    assert hub.latest("600000.SH").last == 10.6  # type: ignore[union-attr]
    assert hub.ticks_per_second() == pytest.approx(3 / 5)
    now[0] = 10.0
    assert hub.ticks_per_second() == 0.0
    remove()
    hub.publish([tick("600000.SH", 10.7)])
    assert len(seen) == 3


@pytest.mark.parametrize(
    ("when", "session"),
    [
        ("2023-01-03 09:14:59", MarketSession.CLOSED),
        ("2023-01-03 09:15:00", MarketSession.PRE_OPEN),
        ("2023-01-03 09:27:00", MarketSession.OPENING),
        ("2023-01-03 09:30:00", MarketSession.CONTINUOUS),
        ("2023-01-03 11:30:00", MarketSession.LUNCH),
        ("2023-01-03 13:00:00", MarketSession.CONTINUOUS),
        ("2023-01-03 14:58:00", MarketSession.CLOSING_AUCTION),
        ("2023-01-03 15:00:00", MarketSession.CLOSED),
        ("2023-01-07 10:00:00", MarketSession.CLOSED),  # Saturday
    ],
)
def test_market_session_by_beijing_time(when: str, session: MarketSession) -> None:
    assert market_session(dt.datetime.fromisoformat(when)) is session


def test_market_session_converts_other_time_zones_and_honours_holidays() -> None:
    new_york = dt.timezone(dt.timedelta(hours=-5))
    # 21:00 in New York on Jan 2 is 10:00 in Beijing on Jan 3.
    assert market_session(dt.datetime(2023, 1, 2, 21, 0, tzinfo=new_york)) is MarketSession.CONTINUOUS
    assert market_session(dt.datetime(2023, 1, 2, 10, 0), holidays={dt.date(2023, 1, 2)}) is MarketSession.CLOSED


def test_watchlists_persist_validate_and_reorder(tmp_path: Path) -> None:
    path = tmp_path / "watchlists.json"
    lists = WatchlistStore.load(path, ["600000.SH"])
    assert lists.add(lists.current, "sz000001") == "000001.SZ"
    with pytest.raises(SymbolFormatError):
        lists.add(lists.current, "not-a-code")
    lists.move(lists.current, "000001.SZ", -1)
    lists.create("Banks")
    with pytest.raises(WatchlistError, match="already exists"):
        lists.create("Banks")
    lists.add("Banks", "601398")
    again = WatchlistStore.load(path)
    assert again.names() == ["Watchlist", "Banks"] and again.current == "Banks"
    assert again.symbols("Watchlist") == ["000001.SZ", "600000.SH"]
    assert again.symbols() == ["601398.SH"]
    path.write_text("{broken")
    assert WatchlistStore.load(path, ["600000.SH"]).symbols() == ["600000.SH"]


def test_demo_replay_plays_real_bars_as_end_of_day_snapshots(store: MarketStore, cn_data: Path) -> None:
    import_one(store, cn_data / "daily" / "600000.SH.csv")
    days = build_replay(store, ["600000.SH"], days=5)
    assert [d.day for d in days] == ["2022-12-26", "2022-12-27", "2022-12-28", "2022-12-29", "2022-12-30"]
    last = days[-1].ticks[0]
    assert (last.last, last.pre_close, last.high) == (7.28, 7.24, 7.30)  # the real 2022-12-30 bar
    assert (last.limit_up, last.limit_down) == (7.96, 6.52)  # 7.24 x 1.1 = 7.964 and x 0.9 = 6.516, to the tick
    hub = QuoteHub()
    feed = DemoReplayFeed(hub, days, step_seconds=0.01)

    async def play() -> None:
        enough = asyncio.Event()
        hub.add_listener(lambda _: enough.set() if hub.ticks_total >= 5 else None)
        feed.start()
        await asyncio.wait_for(enough.wait(), timeout=30)
        await feed.stop()

    asyncio.run(play())
    assert hub.ticks_total >= 5 and hub.latest("600000.SH") is not None
    assert not feed.running
