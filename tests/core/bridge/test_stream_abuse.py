"""Hostile stream clients over a real loopback bridge: floods that never read, odd symbol spellings."""

from __future__ import annotations

import json
import threading
import time

import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from core.bridge.service import BridgeSettings
from core.bridge.sources.sim import SimSource, sim_symbols
from tests.core.bridge.conftest import Running
from tests.core.bridge.test_stream import read_for, read_until, send, stream


@pytest.fixture()
def sim_bridge(bridge_factory):  # noqa: ANN001, ANN201
    with bridge_factory(SimSource(40, interval=0.1)) as running:
        yield running


def _wait_for(predicate, timeout: float = 20.0) -> bool:  # noqa: ANN001
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def test_a_flooding_client_that_never_reads_is_cut_off_and_others_stream_on(sim_bridge: Running) -> None:
    service = sim_bridge.service
    with stream(sim_bridge) as good:
        send(good, "subscribe", sim_symbols(40)[:5])
        read_until(good, "subscribed")
        stop = threading.Event()

        def flood() -> None:
            # Valid messages, far over the rate, from a client whose receive queue is full at once.
            try:
                with stream(sim_bridge, max_queue=1) as abuser:
                    message = json.dumps({"op": "unsubscribe", "symbols": []})
                    for _ in range(5000):
                        if stop.is_set():
                            break
                        abuser.send(message)
            except Exception:  # noqa: BLE001, S110 (the bridge hanging up on it is the point)
                pass

        flooder = threading.Thread(target=flood, daemon=True)
        flooder.start()
        assert _wait_for(lambda: service.metrics.rate_limited._value.get() > 0)
        frames = read_for(good, 1.0)  # the flood is on; the good client still gets its ticks
        with sim_bridge.http() as http:
            assert http.get("/v1/quotes", params={"symbols": sim_symbols(1)[0]}).status_code == 200
        # The abuser is disconnected and forgotten, the good client stays.
        assert _wait_for(lambda: service.fanout.clients == 1), "the flooding client was never disconnected"
        stop.set()
        frames += read_for(good, 0.5)
    ticks = [t for f in frames if f["type"] == "ticks" for t in f["ticks"]]
    assert len(ticks) >= 5, "the well-behaved client was starved"
    seqs = [f["seq"] for f in frames]
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))
    flooder.join(15)


@pytest.mark.parametrize("spelling", ["6\uff10\uff10\uff10\uff100.SH", "600000.SH\n", "\u0666000000.SH", "600000.sh"])
def test_only_ascii_canonical_symbols_subscribe(sim_bridge: Running, spelling: str) -> None:
    with stream(sim_bridge) as ws:
        send(ws, "subscribe", [spelling])
        ack, _ = read_until(ws, "subscribed")
    assert ack["symbols"] == [] and len(ack["rejected"]) == 1
    if spelling.strip() == spelling:  # a query's comma list is trimmed: there the newline is only spacing
        with sim_bridge.http() as http:
            response = http.get("/v1/quotes", params={"symbols": spelling})
        assert response.status_code == 400 and "expected the form 600000.SH" in response.json()["message"]


def test_made_up_symbols_are_refused_and_the_ack_stays_small(bridge_factory) -> None:  # noqa: ANN001
    with bridge_factory(SimSource(40, interval=0.5)) as running, stream(running) as ws:
        real = sim_symbols(40)[:3]
        made_up = [f"{689000 + i % 1000:06d}.SH" if i < 1000 else f"{900000 + i:06d}.SZ" for i in range(5000)]
        request = json.dumps({"op": "subscribe", "symbols": made_up + real})
        ws.send(request)
        raw = ws.recv(timeout=10)
        while json.loads(raw)["type"] != "subscribed":
            raw = ws.recv(timeout=10)
        ack = json.loads(raw)
        assert ack["symbols"] == real
        assert ack["rejected_count"] == 5000 and len(ack["rejected"]) == 20
        assert {r["reason"] for r in ack["rejected"]} == {"unknown instrument"}
        assert len(raw) < len(request) // 10
        assert running.service.fanout.subscribed_symbols == 3


def test_one_token_cannot_take_every_stream_or_symbol(bridge_factory) -> None:  # noqa: ANN001
    settings = BridgeSettings(max_streams_per_token=2, max_symbols_per_token=5)
    with (
        bridge_factory(SimSource(40, interval=0.5), settings=settings) as running,
        stream(running) as a,
        stream(running) as b,
    ):
        send(a, "subscribe", sim_symbols(40)[:3])
        assert read_until(a, "subscribed")[0]["symbols"] == sim_symbols(40)[:3]
        send(b, "subscribe", sim_symbols(40)[3:7])
        ack, _ = read_until(b, "subscribed")
        assert ack["symbols"] == sim_symbols(40)[3:5] and ack["rejected_count"] == 2
        with pytest.raises(InvalidStatus) as refused:
            connect(running.ws_url, additional_headers={"Authorization": f"Bearer {running.token}"})
        assert refused.value.response.status_code == 429
        other = running.service.tokens.create("second desk")
        with connect(running.ws_url, additional_headers={"Authorization": f"Bearer {other}"}) as c:
            assert json.loads(c.recv(timeout=5))["type"] == "hello"  # another token has its own slots


def test_subscriptions_are_released_when_clients_leave(bridge_factory) -> None:  # noqa: ANN001
    with bridge_factory(SimSource(3000, interval=0.2)) as running:
        fanout, source = running.service.fanout, running.service.source
        for _ in range(3):
            with stream(running) as ws:
                send(ws, "subscribe", sim_symbols(3000))
                read_until(ws, "subscribed", timeout=10)
                read_for(ws, 0.3)
        assert _wait_for(lambda: fanout.clients == 0)
        assert fanout.subscribed_symbols == 0 and not fanout._by_symbol and not fanout._latest
        assert sum(source._subscribed) == 0
