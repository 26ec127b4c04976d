"""Replay of recorded real data: time order, inter-arrival times at --speed, bars and quotes built on the way."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
import shutil
import statistics
import time
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

import pytest
from websockets.sync.client import connect

from core.bridge.sources.replay import ReplaySource
from core.bridge.sources.replay_files import Kind, discover
from core.domain.ticks import Tick


class VirtualClock:
    """A clock that jumps by exactly what is slept: replay timing checked without waiting for it."""

    def __init__(self) -> None:
        self.t = 1000.0

    def now(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        self.t += seconds
        await asyncio.sleep(0)


class RecordingSink:
    def __init__(self, clock: VirtualClock | None = None) -> None:
        self.clock = clock
        self.batches: list[tuple[float, list[Tick]]] = []

    def ticks_arrived(self, ticks: Sequence[Tick]) -> None:
        self.batches.append((self.clock.now() if self.clock else time.monotonic(), list(ticks)))

    def connection_changed(self, connected: bool) -> None:
        pass

    def reconnected(self) -> None:
        pass


async def _replay_all(source: ReplaySource, symbols: Sequence[str], sink: RecordingSink) -> None:
    await source.start(sink)
    await source.subscribe(symbols)
    while not source.finished:
        await asyncio.sleep(0.01)
    await source.stop()


@pytest.fixture(scope="module")
def tick_files(cn_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two days, three kinds: SH Level-1 snapshots (2021-12-01), exchange trades and TDX 3-second trades."""
    root = tmp_path_factory.mktemp("ticks")
    for rel in (
        "snapshot/600103.SH_2021-12-01.csv",
        "snapshot/600107.SH_2021-12-01.csv",
        "trades/600020.SH_2021-01-04.csv",
        "trades/600021.SH_2021-01-04.csv",
        "trades_tdx/600000.SH_2019-02-01.csv",
    ):
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(cn_data / "tick" / rel, target)
    return root


def test_discovery_tells_the_kinds_and_days(tick_files: Path) -> None:
    sessions = discover(tick_files)
    assert sorted(sessions) == [dt.date(2019, 2, 1), dt.date(2021, 1, 4), dt.date(2021, 12, 1)]
    kinds = {rf.symbol: rf.kind for files in sessions.values() for rf in files}
    assert kinds == {
        "600103.SH": Kind.SNAPSHOT,
        "600107.SH": Kind.SNAPSHOT,
        "600020.SH": Kind.TRADES,
        "600021.SH": Kind.TRADES,
        "600000.SH": Kind.TRADES_LOTS,
    }


def test_replay_keeps_time_order_and_inter_arrival_at_speed(tick_files: Path) -> None:
    clock = VirtualClock()
    speed = 20.0
    source = ReplaySource(tick_files, speed=speed, loop=False, clock=clock)
    sink = RecordingSink(clock)
    symbols = ["600103.SH", "600107.SH", "600020.SH", "600021.SH", "600000.SH"]
    asyncio.run(_replay_all(source, symbols, sink))
    times = [t.time for _, batch in sink.batches for t in batch]
    assert len(times) > 10_000 and times == sorted(times)  # non-decreasing across all three days
    by_day: dict[dt.date, list[tuple[float, dt.datetime]]] = {}
    for wall, batch in sink.batches:
        assert len({t.time for t in batch}) == 1 and len({t.symbol for t in batch}) == len(batch)
        by_day.setdefault(batch[0].time.date(), []).append((wall, batch[0].time))
    assert len(by_day) == 3
    for day, points in by_day.items():
        wall0, market0 = points[0]
        for wall, market in points:
            # Wall time since the day's first event = market time since it / speed, to the microsecond.
            assert wall - wall0 == pytest.approx((market - market0).total_seconds() / speed, abs=1e-6), day


def test_trades_replay_adds_up_to_the_days_volume(tick_files: Path, cn_data: Path) -> None:
    source = ReplaySource(tick_files / "trades", speed=0, loop=False)
    sink = RecordingSink()

    async def run() -> tuple[dict[str, Tick], list]:
        await _replay_all(source, [], sink)
        return await source.quotes(["600020.SH"]), await source.bars("600020.SH", Freq.MINUTE, None, None, "none")

    from core.domain.bars import Freq

    quotes, minute_bars = asyncio.run(run())
    with open(cn_data / "daily" / "600020.SH.csv", encoding="utf-8") as fh:
        day = next(r for r in csv.DictReader(fh) if r["date"] == "2021-01-04")
    last = quotes["600020.SH"]
    assert last.volume == float(day["volume"]) and last.last == pytest.approx(float(day["close"]))
    assert last.high == pytest.approx(float(day["high"])) and last.low == pytest.approx(float(day["low"]))
    assert sum(b.volume for b in minute_bars) == float(day["volume"])
    labels = [b.time.time() for b in minute_bars]
    assert labels == sorted(labels) and labels[0] == dt.time(9, 31) and labels[-1] == dt.time(15, 0)
    assert all(not dt.time(11, 30) < t <= dt.time(13, 0) for t in labels)  # nothing in the lunch break
    assert sink.batches == []  # nobody subscribed: nothing streamed, yet quotes and bars are current


def test_pause_holds_the_replay_clock(tick_files: Path) -> None:
    clock = VirtualClock()
    source = ReplaySource(tick_files / "snapshot", speed=1.0, loop=False, clock=clock)
    sink = RecordingSink(clock)

    async def run() -> tuple[dt.datetime | None, dt.datetime | None, int]:
        await source.start(sink)
        await source.subscribe(["600103.SH"])
        for _ in range(200):
            await asyncio.sleep(0)
        source.pause()
        for _ in range(20):
            await asyncio.sleep(0)
        held = source.market_time
        clock.t += 3600.0  # an hour passes while paused
        for _ in range(200):
            await asyncio.sleep(0)
        still = source.market_time
        source.resume()
        for _ in range(200):
            await asyncio.sleep(0)
        await source.stop()
        return held, still, len(sink.batches)

    held, still, _ = asyncio.run(run())
    assert held is not None and held == still


def test_replay_over_the_wire_preserves_inter_arrival(tick_files: Path, bridge_factory) -> None:  # noqa: ANN001
    speed = 200.0  # snapshots every 3 s arrive every 15 ms
    source = ReplaySource(tick_files / "snapshot", speed=speed, loop=False)
    with (
        bridge_factory(source) as running,
        connect(running.ws_url, additional_headers={"Authorization": f"Bearer {running.token}"}) as ws,
    ):
        json.loads(ws.recv(timeout=5))
        ws.send(json.dumps({"op": "subscribe", "symbols": sorted(p.name[:9] for p in tick_files.rglob("*.csv"))}))
        points: list[tuple[float, dt.datetime]] = []
        deadline = time.monotonic() + 2.5
        while time.monotonic() < deadline:
            frame = json.loads(ws.recv(timeout=5))
            if frame["type"] == "ticks":
                for tick in frame["ticks"]:
                    points.append((frame["time"], dt.datetime.fromisoformat(tick["time"])))
    assert len(points) > 20
    markets = [m for _, m in points]
    assert markets == sorted(markets)
    errors = []
    for (w0, m0), (w1, m1) in pairwise(points):
        errors.append((w1 - w0) - (m1 - m0).total_seconds() / speed)
    assert abs(statistics.median(errors)) < 0.005  # typical inter-arrival within 5 ms of market gap / speed
    assert max(abs(e) for e in errors) < 0.25  # and none far off, even on a loaded machine


def test_replay_loops_back_to_the_first_day(tick_files: Path, tmp_path: Path) -> None:
    short = tmp_path / "short"
    short.mkdir()
    source_file = tick_files / "snapshot" / "600103.SH_2021-12-01.csv"
    (short / source_file.name).write_text(
        "\n".join(source_file.read_text(encoding="utf-8").splitlines()[:60]) + "\n", encoding="utf-8"
    )
    source = ReplaySource(short, speed=0, loop=True)
    sink = RecordingSink()

    async def run() -> None:
        await source.start(sink)
        await source.subscribe(["600103.SH"])
        while sum(len(b) for _, b in sink.batches) < 150:
            await asyncio.sleep(0.01)
        await source.stop()

    asyncio.run(run())
    times = [t.time for _, batch in sink.batches for t in batch]
    restarts = [i for i, (a, b) in enumerate(pairwise(times)) if b < a]
    assert restarts and not source.finished  # the day started over instead of ending
    assert times[restarts[0] + 1] == times[0]


def test_replayed_snapshots_carry_the_rule_engines_limit_prices(tick_files: Path) -> None:
    clock = VirtualClock()
    source = ReplaySource(tick_files, speed=1000.0, loop=False, clock=clock)
    sink = RecordingSink(clock)
    asyncio.run(_replay_all(source, ["600103.SH", "600107.SH"], sink))
    ticks = [t for _, batch in sink.batches for t in batch]
    assert ticks and {t.symbol for t in ticks} == {"600103.SH", "600107.SH"}
    for tick in ticks[:: max(1, len(ticks) // 200)]:
        assert tick.pre_close > 0 and tick.limit_up > tick.pre_close > tick.limit_down > 0
        # Main board, 10%: the previous close times 1.1 and 0.9, on the 0.01 tick.
        assert abs(tick.limit_up - tick.pre_close * 1.1) <= 0.005 + 1e-9
        assert abs(tick.limit_down - tick.pre_close * 0.9) <= 0.005 + 1e-9
        assert round(tick.limit_up * 100) == pytest.approx(tick.limit_up * 100)
        assert tick.last == 0 or tick.limit_down <= tick.last <= tick.limit_up  # 0 before the first trade
