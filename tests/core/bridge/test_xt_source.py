"""The QMT source against a faithful xtquant fake fed with real recorded data: hand-off, reconnect, re-subscribe."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Sequence
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest
from websockets.sync.client import connect

from core.bridge.sources.base import SourceDisconnected, SourceUnavailable
from core.bridge.sources.xt_source import XtQuantSource, load_xtdata
from core.domain.bars import Freq
from core.domain.ticks import Tick
from core.util.backoff import Backoff
from tests.core.bridge.conftest import serve
from tests.fakes.xtquant_fake import FakeXtData

CODES = ["600103.SH", "600107.SH", "600133.SH"]
DAILY = "600000.SH"
_EPOCH_BEIJING = dt.datetime(1970, 1, 1, 8)
# Share capital in get_instrument_detail's fields (shares); 600133.SH's float figure comes as NaN, as QMT gives
# one it lacks.
SHARES: dict[str, dict[str, float]] = {
    DAILY: {"FloatVolume": 29352178302.0, "TotalVolume": 29352178302.0},
    "600103.SH": {"FloatVolume": 1776889634.0, "TotalVolume": 1776889634.0},
    "600133.SH": {"FloatVolume": float("nan"), "TotalVolume": 1072989522.0},
}


def _ms(beijing: dt.datetime) -> int:
    return int((beijing - _EPOCH_BEIJING).total_seconds() * 1000)


def _xt_tick(row: dict[str, str]) -> dict[str, Any]:
    """A real SSE Level-1 snapshot as xtquant delivers it: epoch ms, prices, volumes in lots of 100."""
    shares = float(row["volume"])
    return {
        "time": _ms(dt.datetime.fromisoformat(row["datetime"])),
        "lastPrice": float(row["last"]),
        "open": float(row["open"]),
        "high": float(row["high"]),
        "low": float(row["low"]),
        "lastClose": float(row["preclose"]),
        "amount": float(row["amount"]),
        "volume": int(shares // 100),
        "pvolume": int(shares),
        "openInt": 13,
        "transactionNum": 0,
        "askPrice": [float(row[f"ask_price{i}"]) for i in range(1, 6)],
        "bidPrice": [float(row[f"bid_price{i}"]) for i in range(1, 6)],
        "askVol": [int(float(row[f"ask_volume{i}"]) // 100) for i in range(1, 6)],
        "bidVol": [int(float(row[f"bid_volume{i}"]) // 100) for i in range(1, 6)],
    }


class RecordedMarket:
    """The market function behind the fake: real snapshots per code, real daily bars, instrument details."""

    def __init__(self, cn_data: Path) -> None:
        self.snapshots: dict[str, list[dict[str, Any]]] = {}
        for code in CODES:
            with open(cn_data / "tick" / "snapshot" / f"{code}_2021-12-01.csv", encoding="utf-8") as fh:
                self.snapshots[code] = [_xt_tick(r) for r in csv.DictReader(fh) if float(r["last"]) > 0]
        with open(cn_data / "daily" / f"{DAILY}.csv", encoding="utf-8") as fh:
            self.daily = [r for r in csv.DictReader(fh) if r["date"].startswith("2021-")]
        self.latest: dict[str, dict[str, Any]] = {}

    def __call__(self, name: str, **args: Any) -> Any:
        if name == "get_full_tick":
            return self.latest.get(args["code"])
        if name == "get_instrument_detail":
            code = args["stock_code"]
            if code not in self.snapshots and code != DAILY:
                return None
            pre = self.snapshots[code][0]["lastClose"] if code in self.snapshots else 10.0
            return {
                "ExchangeID": "SH",
                "InstrumentID": code[:6],
                "InstrumentName": f"N{code[:6]}",
                "OpenDate": "19991110",
                "ExpireDate": "99999999",
                "PreClose": pre,
                "UpStopPrice": round(pre * 1.1, 2),
                "DownStopPrice": round(pre * 0.9, 2),
                **SHARES.get(code, {"FloatVolume": 0.0, "TotalVolume": 0.0}),  # QMT's zeros: not known
            }
        if name == "get_stock_list_in_sector":
            return [*CODES, DAILY] if args["sector_name"] == "沪深A股" else []
        if name == "get_market_data_ex" and args["code"] == DAILY and args["period"] == "1d":
            import pandas as pd

            rows = [
                r
                for r in self.daily
                if (not args["start_time"] or r["date"].replace("-", "") >= args["start_time"])
                and (not args["end_time"] or r["date"].replace("-", "") <= args["end_time"])
            ]
            frame = pd.DataFrame(
                {
                    "time": [_ms(dt.datetime.fromisoformat(r["date"])) for r in rows],
                    "open": [float(r["open"]) for r in rows],
                    "high": [float(r["high"]) for r in rows],
                    "low": [float(r["low"]) for r in rows],
                    "close": [float(r["close"]) for r in rows],
                    "volume": [float(r["volume"]) / 100 for r in rows],
                    "amount": [float(r["amount"]) for r in rows],
                }
            )
            frame.index = [r["date"].replace("-", "") for r in rows]
            return frame
        return None

    def publish(self, fake: FakeXtData, step: int) -> dict[str, dict[str, Any]]:
        records = {code: snaps[step] for code, snaps in self.snapshots.items()}
        self.latest.update(records)
        fake.push(records)
        return records


class Sink:
    def __init__(self) -> None:
        self.ticks: list[Tick] = []
        self.threads: set[str] = set()
        self.links: list[bool] = []
        self.reconnects = 0

    def ticks_arrived(self, ticks: Sequence[Tick]) -> None:
        self.threads.add(threading.current_thread().name)
        self.ticks.extend(ticks)

    def connection_changed(self, connected: bool) -> None:
        self.links.append(connected)

    def reconnected(self) -> None:
        self.reconnects += 1


@pytest.fixture()
def market(cn_data: Path) -> RecordedMarket:
    return RecordedMarket(cn_data)


@pytest.fixture()
def fake(market: RecordedMarket) -> Iterator[FakeXtData]:
    xt = FakeXtData(market)
    yield xt
    xt.close()


def _source(fake: FakeXtData) -> XtQuantSource:
    return XtQuantSource(fake, backoff=Backoff(initial=0.04, factor=2.0, maximum=0.32), probe_interval=0.1)


async def _until(predicate: Any, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        await asyncio.sleep(0.01)


def test_callbacks_on_the_qmt_thread_are_handed_to_the_loop(fake: FakeXtData, market: RecordedMarket) -> None:
    sink = Sink()

    async def body() -> tuple[str, list[dict[str, Any]]]:
        source = _source(fake)
        await source.start(sink)
        await source.subscribe(CODES)
        sent = [market.publish(fake, step) for step in range(5)]
        await _until(lambda: len(sink.ticks) == 5 * len(CODES))
        loop_thread = threading.current_thread().name
        await source.unsubscribe(CODES[:1])
        market.publish(fake, 5)
        fake.flush_callbacks()
        await _until(lambda: len(sink.ticks) == 5 * len(CODES) + 2)  # the last publish, less the dropped code
        await source.stop()
        return loop_thread, sent

    loop_thread, sent = asyncio.run(body())
    assert sink.threads == {loop_thread}  # delivered on the event loop, not on xtquant's callback thread
    first = [t for t in sink.ticks if t.symbol == CODES[0]][0]
    record = sent[0][CODES[0]]
    assert first.last == record["lastPrice"] and first.volume == record["pvolume"]
    assert first.bid_volumes[0] == record["bidVol"][0] * 100  # lots -> shares
    assert first.limit_up == round(record["lastClose"] * 1.1, 2) and not first.suspended
    assert len(sink.ticks) == 5 * len(CODES) + 2  # after unsubscribing, that code's ticks stop
    xt_threads = {thread for name, thread in fake.calls}
    # Every xtquant call on the source's lanes, subscriptions on the control lane; none on the callback thread.
    assert "xtquant-control" in xt_threads
    assert xt_threads <= {"xtquant-control", "xtquant-quotes", "xtquant-history", "xtquant-probe"}
    assert fake.subscribed_codes() == []  # stop released every subscription


def test_qmt_restart_reconnects_with_backoff_and_resubscribes(fake: FakeXtData, market: RecordedMarket) -> None:
    sink = Sink()

    async def body() -> XtQuantSource:
        source = _source(fake)
        await source.start(sink)
        await source.subscribe(CODES)
        assert fake.subscribed_codes() == CODES and source.connected
        fake.stop_qmt()
        await _until(lambda: not source.connected)
        with pytest.raises(SourceDisconnected, match="QMT is not connected"):
            await source.quotes(CODES)
        down_from = len(fake.connect_attempts)
        await _until(lambda: len(fake.connect_attempts) >= down_from + 5)  # QMT stays down: attempts back off
        attempts = fake.connect_attempts[down_from:]
        await source.subscribe(["600000.SH"])  # wanted while down: subscribed on reconnect
        fake.start_qmt()
        await _until(lambda: source.connected)
        await _until(lambda: sink.reconnects == 1)
        gaps = [b - a for a, b in pairwise(attempts)]
        assert 3 <= len(attempts) <= 14, attempts
        assert all(g >= 0.015 for g in gaps) and max(gaps) > 2 * min(gaps)  # exponential, jittered
        assert fake.subscribed_codes() == sorted([*CODES, "600000.SH"])  # everything, on the new link
        market.publish(fake, 10)
        await _until(lambda: len(sink.ticks) == len(CODES))
        quotes = await source.quotes(CODES)
        await source.stop()
        assert set(quotes) == set(CODES)
        return source

    source = asyncio.run(body())
    assert sink.links == [True, False, True, False] and source.reconnects == 1


def test_the_status_watch_covers_links_made_after_it_not_the_current_one(market: RecordedMarket) -> None:
    """xtquant's watch_xtquant_status as the real module behaves: it is kept for later links only."""
    fake = FakeXtData(market)
    heard: list[dict[str, Any]] = []
    try:
        fake.connect()
        fake.watch_xtquant_status(heard.append)
        fake.stop_qmt()  # the link made before the watch drops: nobody is told
        fake.flush_callbacks()
        assert heard == []
        fake.start_qmt()
        fake.get_client()  # xtquant reconnects on its own: this link carries the watch
        fake.stop_qmt()
        fake.flush_callbacks()
    finally:
        fake.close()
    assert [h["status"] for h in heard] == ["connected", "disconnected"]
    assert set(heard[0]) == {"address", "status"}


def test_a_link_lost_while_connecting_is_heard_at_once(market: RecordedMarket) -> None:
    """The watch is registered before the first connect, so a drop during it is not left to the probe."""
    fake = FakeXtData(market)
    fake.drop_during_connect()
    sink = Sink()

    async def body() -> None:
        # A probe an hour away: only the status watch can tell the source that the link is gone.
        source = XtQuantSource(fake, backoff=Backoff(initial=0.04, maximum=0.32), probe_interval=3600.0)
        await source.start(sink)
        await _until(lambda: sink.links == [True, False])
        fake.start_qmt()
        await _until(lambda: source.connected)  # the reconnect's link is watched too
        fake.stop_qmt()
        await _until(lambda: not source.connected)
        await source.stop()

    try:
        asyncio.run(body())
    finally:
        fake.close()
    names = [name for name, _ in fake.calls]
    assert names.index("watch_xtquant_status") < names.index("connect")
    assert sink.links == [True, False, True, False]


class _OlderXtData(FakeXtData):
    """xtquant releases before the status watch moved to xtconn: it registers on the live link, via get_client."""

    def watch_xtquant_status(self, callback: Any) -> None:
        self.get_client()  # raises while QMT is down, as those releases do
        super().watch_xtquant_status(callback)


def test_an_older_xtquant_whose_watch_needs_a_link_still_starts_and_connects(market: RecordedMarket) -> None:
    fake = _OlderXtData(market, running=False)
    sink = Sink()

    async def body() -> None:
        source = _source(fake)
        await source.start(sink)  # the watch cannot be registered with QMT down: the probe watches instead
        fake.start_qmt()
        await _until(lambda: source.connected)
        fake.stop_qmt()
        await _until(lambda: not source.connected)
        await source.stop()

    try:
        asyncio.run(body())
    finally:
        fake.close()
    assert sink.links == [True, False]


def test_qmt_down_at_start_connects_later(market: RecordedMarket) -> None:
    fake = FakeXtData(market, running=False)
    sink = Sink()

    async def body() -> None:
        source = _source(fake)
        await source.start(sink)  # no QMT yet: the bridge still starts
        assert not source.connected
        await source.subscribe(CODES[:2])
        await _until(lambda: len(fake.connect_attempts) >= 2)  # it keeps trying while QMT is down
        fake.start_qmt()
        await _until(lambda: source.connected and fake.subscribed_codes() == CODES[:2])
        await source.stop()

    try:
        asyncio.run(body())
    finally:
        fake.close()
    assert sink.links == [True, False] and sink.reconnects == 0


def test_bridge_serves_qmt_over_http_and_stream(
    fake: FakeXtData, market: RecordedMarket, tmp_path: Path, cn_data: Path
) -> None:
    with serve(_source(fake), tmp_path) as running, running.http() as http:
        health = http.get("/v1/health").json()
        assert health["source"] == "xtquant" and health["qmt_connected"] is True
        instruments = http.get("/v1/instruments").json()["instruments"]
        assert [i["symbol"] for i in instruments] == [*CODES, DAILY] and instruments[0]["name"] == "N600103"
        shares = {i["symbol"]: (i["total_shares"], i["float_shares"]) for i in instruments}
        assert shares == {
            "600103.SH": (1776889634.0, 1776889634.0),
            "600107.SH": (None, None),
            "600133.SH": (1072989522.0, None),
            DAILY: (29352178302.0, 29352178302.0),
        }
        bars = http.get("/v1/bars", params={"symbol": DAILY, "start": "2021-03-01", "end": "2021-03-31"}).json()
        march = [r for r in market.daily if r["date"].startswith("2021-03")]
        assert [b["time"][:10] for b in bars["bars"]] == [r["date"] for r in march]
        assert [b["volume"] for b in bars["bars"]] == pytest.approx([float(r["volume"]) for r in march])
        with connect(running.ws_url, additional_headers={"Authorization": f"Bearer {running.token}"}) as ws:
            json.loads(ws.recv(timeout=5))
            ws.send(json.dumps({"op": "subscribe", "symbols": CODES[:2]}))
            while json.loads(ws.recv(timeout=5))["type"] != "subscribed":
                pass
            assert fake.subscribed_codes() == CODES[:2]
            sent = market.publish(fake, 3)
            frame = json.loads(ws.recv(timeout=5))
            while frame["type"] != "ticks":
                frame = json.loads(ws.recv(timeout=5))
            got = {t["symbol"]: t for t in frame["ticks"]}
            assert set(got) <= set(CODES[:2]) and got
            for code, tick in got.items():
                assert tick["last"] == sent[code]["lastPrice"]
        quotes = http.get("/v1/quotes", params={"symbols": ",".join(CODES)}).json()
        assert quotes["count"] == 3 and not quotes["missing"]
        fake.stop_qmt()
        deadline = time.monotonic() + 5
        while http.get("/v1/health").json()["qmt_connected"] and time.monotonic() < deadline:
            time.sleep(0.05)
        down = http.get("/v1/quotes", params={"symbols": CODES[2]})
        assert down.status_code == 503 and "QMT is not connected" in down.json()["message"]
        assert http.get("/v1/health").json()["status"] == "degraded"


def test_without_xtquant_the_source_refuses_in_one_sentence() -> None:
    try:
        import xtquant  # noqa: F401
    except ImportError:
        pass
    else:
        pytest.skip("xtquant is installed here")
    with pytest.raises(SourceUnavailable) as refused:
        load_xtdata()
    message = str(refused.value)
    assert message.startswith("xtquant cannot run on this machine: the QMT source needs Windows")
    assert "\n" not in message and message.count(". ") == 0


def test_cli_xtquant_on_linux_exits_with_that_sentence(tmp_path: Path) -> None:
    if sys.platform == "win32":
        pytest.skip("Windows may have a working xtquant")
    repo = Path(__file__).resolve().parents[3]
    result = subprocess.run(
        [
            sys.executable,
            str(repo / "main.py"),
            "--data-dir",
            str(tmp_path),
            "bridge",
            "--source",
            "xtquant",
            "--port",
            "0",
            "--log-file",
            str(tmp_path / "bridge.log"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=repo,
        env={"QDESK_CONFIG_DIR": str(tmp_path / "cfg"), "PATH": "/usr/bin:/bin", "QT_QPA_PLATFORM": "offscreen"},
    )
    assert result.returncode == 2
    last = result.stderr.strip().splitlines()[-1]
    assert last.startswith("qdesk: error: xtquant cannot run on this machine: the QMT source needs Windows")
    assert not (tmp_path / "cfg" / "bridge.json").exists()  # a start that failed made no token valid


def test_minute_bars_fold_qmts_auction_bar_into_0931(cn_data: Path) -> None:
    """QMT gives 241 minute bars a day, the first stamped 09:30 (the opening auction); QDesk keeps 240."""
    import pandas as pd

    from core.bridge.xt_records import bars_to_domain

    with open(cn_data / "minute" / "000001.SZ.csv", encoding="utf-8") as fh:
        day = [r for r in csv.DictReader(fh) if r["datetime"].startswith("2018-01-02")]
    assert len(day) == 240
    auction = {
        "datetime": "2018-01-02 09:30:00",
        "open": "13.35",
        "high": "13.36",
        "low": "13.30",
        "close": "13.35",
        "volume": "500000",
        "amount": "6675000",
    }
    rows = [auction, *day]
    frame = pd.DataFrame(
        {
            "time": [_ms(dt.datetime.fromisoformat(r["datetime"])) for r in rows],
            **{k: [float(r[k]) for r in rows] for k in ("open", "high", "low", "close", "amount")},
            "volume": [float(r["volume"]) / 100 for r in rows],  # lots
        }
    )
    bars = bars_to_domain("000001.SZ", Freq.MINUTE, frame)
    assert len(bars) == 240 and bars[0].time == dt.datetime(2018, 1, 2, 9, 31)
    first = day[0]
    assert bars[0].open == 13.35 and bars[0].low == 13.30 and bars[0].close == float(first["close"])
    assert bars[0].volume == pytest.approx(500000 + float(first["volume"]))
    assert sum(b.volume for b in bars) == pytest.approx(500000 + sum(float(r["volume"]) for r in day))
    assert bars[-1].time == dt.datetime(2018, 1, 2, 15, 0)
