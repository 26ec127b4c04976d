"""Slow and hung QMT calls over a real loopback bridge: history never blocks quotes or the link probe;
a call past its time limit is answered 503, reported in health and metrics, and isolated."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.bridge.sources.xt_source import XtQuantSource
from core.util.backoff import Backoff
from tests.core.bridge.conftest import serve
from tests.core.bridge.test_xt_source import CODES, DAILY, RecordedMarket
from tests.fakes.xtquant_fake import FakeXtData


class HeldMarket:
    """The recorded market, except that chosen calls block until released: QMT busy or hung."""

    def __init__(self, inner: RecordedMarket, hold: Callable[[str, dict[str, Any]], bool]) -> None:
        self.inner = inner
        self.hold = hold
        self.held = threading.Event()
        self.release = threading.Event()

    def __call__(self, name: str, **args: Any) -> Any:
        if self.hold(name, args):
            self.held.set()
            self.release.wait(60)
        return self.inner(name, **args)


def _wait_for(predicate: Callable[[], bool], timeout: float = 20.0) -> bool:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


@pytest.fixture()
def recorded(cn_data: Path) -> RecordedMarket:
    return RecordedMarket(cn_data)


@contextmanager
def _fake(market: HeldMarket) -> Iterator[FakeXtData]:
    xt = FakeXtData(market)
    try:
        yield xt
    finally:
        market.release.set()
        xt.close()


def _source(fake: FakeXtData, **limits: float) -> XtQuantSource:
    return XtQuantSource(fake, backoff=Backoff(initial=0.04, maximum=0.32), probe_interval=0.05, **limits)


def _probes(fake: FakeXtData) -> int:
    return sum(1 for name, thread in list(fake.calls) if name == "get_client" and thread == "xtquant-probe")


def test_a_slow_history_download_never_blocks_quotes_or_the_link_probe(
    recorded: RecordedMarket, tmp_path: Path
) -> None:
    market = HeldMarket(recorded, lambda name, _: name == "download_history_data")
    with _fake(market) as fake:
        recorded.publish(fake, 0)
        with serve(_source(fake), tmp_path) as running, running.http() as http:
            answers: list[httpx.Response] = []
            bars = threading.Thread(
                target=lambda: answers.append(http.get("/v1/bars", params={"symbol": DAILY, "start": "2021-03-01"}))
            )
            bars.start()
            assert market.held.wait(10), "the download never started"
            quotes = http.get("/v1/quotes", params={"symbols": ",".join(CODES)})
            assert quotes.status_code == 200 and quotes.json()["count"] == len(CODES)
            probes = _probes(fake)
            assert _wait_for(lambda: _probes(fake) >= probes + 3), "the link probe was starved by the download"
            health = http.get("/v1/health").json()
            assert health["qmt_connected"] is True and health["reconnects"] == 0 and health["stuck_calls"] == []
            market.release.set()
            bars.join(20)
        assert answers and answers[0].status_code == 200 and answers[0].json()["count"] > 0


def test_a_hung_snapshot_call_is_time_limited_reported_and_isolated(recorded: RecordedMarket, tmp_path: Path) -> None:
    market = HeldMarket(recorded, lambda name, args: name == "get_full_tick" and args["code"] == CODES[0])
    with _fake(market) as fake:
        recorded.publish(fake, 0)
        source = _source(fake, call_timeout=0.5)
        with serve(source, tmp_path) as running, running.http() as http:
            hung = http.get("/v1/quotes", params={"symbols": CODES[0]})
            assert hung.status_code == 503 and "did not answer get_full_tick" in hung.json()["message"]
            health = http.get("/v1/health").json()
            assert health["qmt_connected"] is True and health["reconnects"] == 0
            assert [(c["lane"], c["call"]) for c in health["stuck_calls"]] == [("xtquant-quotes", "get_full_tick")]
            metrics = http.get("/metrics").text
            assert "qdesk_bridge_source_stuck_calls 1.0" in metrics
            assert 'qdesk_bridge_source_call_timeouts_total{call="get_full_tick",lane="xtquant-quotes"} 1.0' in metrics
            # The lane goes on with a fresh thread: the next snapshot is answered while the hung one still waits.
            other = http.get("/v1/quotes", params={"symbols": CODES[1]})
            assert other.status_code == 200 and other.json()["count"] == 1
            market.release.set()
            assert _wait_for(lambda: http.get("/v1/health").json()["stuck_calls"] == [])
            assert source.connected and source.reconnects == 0
