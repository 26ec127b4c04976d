"""The whole market from QMT: one subscribe_whole_quote for large sets, per-code subscriptions for small ones."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from websockets.sync.client import connect

from core.bridge.sources.xt_source import XtQuantSource
from core.util.backoff import Backoff
from tests.core.bridge.conftest import serve
from tests.core.bridge.test_xt_source import CODES, DAILY, RecordedMarket, Sink, _until
from tests.fakes.xtquant_fake import FakeXtData


def _source(fake: FakeXtData) -> XtQuantSource:
    # Above two symbols the whole-market push is used: three recorded codes are "many" here.
    return XtQuantSource(fake, backoff=Backoff(initial=0.04, maximum=0.32), probe_interval=0.05, whole_quote_above=2)


def _calls(fake: FakeXtData, name: str) -> int:
    return sum(1 for called, _ in list(fake.calls) if called == name)


def test_many_symbols_share_one_whole_market_push(cn_data: Path) -> None:
    market = RecordedMarket(cn_data)
    fake = FakeXtData(market)
    sink = Sink()

    async def body() -> None:
        source = _source(fake)
        await source.start(sink)
        await source.subscribe(CODES)
        assert fake.whole_quote_codes() == [CODES] and fake.subscribed_codes() == []
        assert _calls(fake, "subscribe_quote") == 0
        market.publish(fake, 1)
        await _until(lambda: len(sink.ticks) == len(CODES))
        assert {t.symbol for t in sink.ticks} == set(CODES) and all(t.limit_up > 0 for t in sink.ticks)
        # Down to a small set: per-code subscriptions, the whole-market push is dropped.
        await source.unsubscribe(CODES[:2])
        assert fake.whole_quote_codes() == [] and fake.subscribed_codes() == [CODES[2]]
        market.publish(fake, 2)
        await _until(lambda: len(sink.ticks) == len(CODES) + 1)
        await source.subscribe(CODES[:2])
        assert fake.whole_quote_codes() == [CODES] and fake.subscribed_codes() == []
        # A QMT restart forgets subscriptions: the push is made again on the new link.
        fake.stop_qmt()
        await _until(lambda: not source.connected)
        fake.start_qmt()
        await _until(lambda: source.connected and fake.whole_quote_codes() == [CODES])
        await source.stop()
        assert fake.whole_quote_codes() == [] and fake.subscribed_codes() == []

    try:
        asyncio.run(body())
    finally:
        fake.close()


def test_star_subscribes_every_listed_instrument(cn_data: Path, tmp_path: Path) -> None:
    market = RecordedMarket(cn_data)
    fake = FakeXtData(market)
    try:
        with serve(_source(fake), tmp_path) as running:
            headers = {"Authorization": f"Bearer {running.token}"}
            with connect(running.ws_url, additional_headers=headers) as ws:
                json.loads(ws.recv(timeout=5))
                ws.send(json.dumps({"op": "subscribe", "symbols": ["*"]}))
                ack = json.loads(ws.recv(timeout=10))
                while ack["type"] != "subscribed":
                    ack = json.loads(ws.recv(timeout=10))
                assert ack["symbols"] == sorted([*CODES, DAILY]) and ack["rejected_count"] == 0
                assert fake.whole_quote_codes() == [sorted([*CODES, DAILY])]
                assert _calls(fake, "download_sector_data") >= 1  # sectors refreshed before they are read
    finally:
        fake.close()


def test_a_sector_subscribes_its_members_and_an_unknown_one_is_an_error(cn_data: Path, tmp_path: Path) -> None:
    market = RecordedMarket(cn_data)
    fake = FakeXtData(market)
    try:
        with serve(_source(fake), tmp_path) as running:
            headers = {"Authorization": f"Bearer {running.token}"}
            with connect(running.ws_url, additional_headers=headers) as ws:
                json.loads(ws.recv(timeout=5))
                ws.send(json.dumps({"op": "subscribe", "sector": "沪深A股"}))
                ack = json.loads(ws.recv(timeout=10))
                while ack["type"] != "subscribed":
                    ack = json.loads(ws.recv(timeout=10))
                assert ack["symbols"] == [*CODES, DAILY]
                ws.send(json.dumps({"op": "subscribe", "sector": "no such sector"}))
                error = json.loads(ws.recv(timeout=10))
                while error["type"] != "error":
                    error = json.loads(ws.recv(timeout=10))
                assert error["code"] == "bad_request" and "QMT knows no sector" in error["message"]
    finally:
        fake.close()
