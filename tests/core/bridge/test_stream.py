"""The /v1/stream WebSocket: subscribe/unsubscribe, per-connection sequence numbers, heartbeats, slow readers."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from core.bridge.service import BridgeSettings
from core.bridge.sources.sim import SimSource, sim_symbols
from tests.core.bridge.conftest import Running


@contextmanager
def stream(running: Running, **kwargs: Any) -> Iterator[ClientConnection]:
    with connect(running.ws_url, additional_headers={"Authorization": f"Bearer {running.token}"}, **kwargs) as ws:
        hello = json.loads(ws.recv(timeout=5))
        assert hello["type"] == "hello" and "seq" not in hello
        yield ws


def read_until(ws: ClientConnection, kind: str, timeout: float = 5.0) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Frames up to and including the first of type `kind`."""
    seen: list[dict[str, Any]] = []
    deadline = time.monotonic() + timeout
    while True:
        frame = json.loads(ws.recv(timeout=max(deadline - time.monotonic(), 0.01)))
        seen.append(frame)
        if frame["type"] == kind:
            return frame, seen


def read_for(ws: ClientConnection, seconds: float) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        try:
            out.append(json.loads(ws.recv(timeout=left)))
        except TimeoutError:
            break
    return out


def send(ws: ClientConnection, op: str, symbols: Any) -> None:
    ws.send(json.dumps({"op": op, "symbols": symbols}))


def assert_contiguous(frames: list[dict[str, Any]], first: int) -> None:
    seqs = [f["seq"] for f in frames]
    assert seqs == list(range(first, first + len(seqs))), seqs[:20]


@pytest.fixture()
def sim_bridge(bridge_factory):  # noqa: ANN001, ANN201
    with bridge_factory(SimSource(40, interval=0.2)) as running:
        yield running


def test_subscribe_streams_only_the_subscribed_symbols(sim_bridge: Running) -> None:
    wanted = sim_symbols(40)[:3]
    with stream(sim_bridge) as ws:
        send(ws, "subscribe", wanted + ["BAD", 12])
        ack, before = read_until(ws, "subscribed")
        assert ack["seq"] == 1 and ack["symbols"] == wanted and before == [ack]
        assert [r["symbol"] for r in ack["rejected"]] == ["BAD", "12"]
        frames = read_for(ws, 1.0)
        ticks = [t for f in frames if f["type"] == "ticks" for t in f["ticks"]]
        assert {t["symbol"] for t in ticks} == set(wanted)
        assert_contiguous(frames, 2)
        stamps = [f["time"] for f in frames if f["type"] == "ticks"]
        assert stamps == sorted(stamps) and abs(stamps[-1] - time.time()) < 2.0
        numbers = [t["n"] for t in ticks]
        assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)

        send(ws, "unsubscribe", wanted[:2])
        gone, _ = read_until(ws, "unsubscribed")
        assert gone["symbols"] == wanted[:2]
        after = read_for(ws, 0.8)
        assert {t["symbol"] for f in after if f["type"] == "ticks" for t in f["ticks"]} == {wanted[2]}
        assert_contiguous(after, gone["seq"] + 1)


def test_each_connection_numbers_its_own_frames(sim_bridge: Running) -> None:
    symbol = sim_symbols(1)
    with stream(sim_bridge) as a, stream(sim_bridge) as b:
        send(a, "subscribe", symbol)
        assert read_until(a, "subscribed")[0]["seq"] == 1
        read_for(a, 0.5)
        send(b, "subscribe", symbol)
        assert read_until(b, "subscribed")[0]["seq"] == 1  # b starts at 1, whatever a has seen
        frames_b = read_for(b, 0.5)
        assert frames_b and frames_b[0]["seq"] == 2
        assert_contiguous(frames_b, 2)


def test_subscriptions_are_reference_counted_at_the_source(sim_bridge: Running) -> None:
    symbol = sim_symbols(40)[5]
    source = sim_bridge.service.source
    index = source.symbols.index(symbol)
    with stream(sim_bridge) as a:
        with stream(sim_bridge) as b:
            for ws in (a, b):
                send(ws, "subscribe", [symbol])
                read_until(ws, "subscribed")
            assert sim_bridge.service.fanout.subscribed_symbols == 1 and source._subscribed[index] == 1
            send(a, "unsubscribe", [symbol])
            read_until(a, "unsubscribed")
            assert source._subscribed[index] == 1  # b still holds it
        deadline = time.monotonic() + 5
        while sim_bridge.service.fanout.clients != 1 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert source._subscribed[index] == 0 and sim_bridge.service.fanout.subscribed_symbols == 0


def test_heartbeats_keep_an_idle_connection_numbered(bridge_factory) -> None:  # noqa: ANN001
    with bridge_factory(SimSource(5), settings=BridgeSettings(heartbeat_s=0.2)) as running, stream(running) as ws:
        frames = read_for(ws, 1.1)
    beats = [f for f in frames if f["type"] == "heartbeat"]
    assert 3 <= len(beats) <= 7 and beats == frames
    assert_contiguous(beats, 1)
    assert all(abs(b["time"] - time.time()) < 5 for b in beats)


@pytest.mark.parametrize(
    ("message", "fragment"),
    [
        ("not json", "JSON"),
        ("[1, 2]", "JSON objects"),
        ('{"op": "publish", "symbols": []}', "op must be subscribe or unsubscribe"),
        ('{"op": "subscribe", "symbols": "600000.SH"}', "symbols must be a list"),
        ('{"op": "unsubscribe", "symbols": ["600000"]}', "did you mean 600000.SH"),
        (b"\x00\x01binary", "text frames"),
    ],
)
def test_bad_messages_get_an_error_frame(sim_bridge: Running, message: str | bytes, fragment: str) -> None:
    with stream(sim_bridge) as ws:
        ws.send(message)
        error, _ = read_until(ws, "error")
        assert error["code"] == "bad_request" and fragment in error["message"] and error["seq"] == 1
        send(ws, "subscribe", sim_symbols(1))  # the connection lives on
        assert read_until(ws, "subscribed")[0]["seq"] == 2


def test_a_flood_of_bad_messages_closes_the_connection(sim_bridge: Running) -> None:
    with stream(sim_bridge) as ws:
        for _ in range(20):
            ws.send("{")
        with pytest.raises(ConnectionClosed) as closed:
            for _ in range(100):
                ws.recv(timeout=5)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008


def test_too_many_clients_is_a_retryable_503(bridge_factory) -> None:  # noqa: ANN001
    with (
        bridge_factory(SimSource(5), settings=BridgeSettings(max_clients=1)) as running,
        stream(running),
        pytest.raises(InvalidStatus) as refused,
    ):
        connect(running.ws_url, additional_headers={"Authorization": f"Bearer {running.token}"})
    assert refused.value.response.status_code == 503


def test_subscription_limit_per_client(bridge_factory) -> None:  # noqa: ANN001
    with (
        bridge_factory(SimSource(10), settings=BridgeSettings(max_symbols_per_client=4)) as running,
        stream(running) as ws,
    ):
        send(ws, "subscribe", sim_symbols(6))
        ack, _ = read_until(ws, "subscribed")
    assert ack["symbols"] == sim_symbols(4)
    assert [r["reason"] for r in ack["rejected"]] == ["subscription limit reached"] * 2


def test_a_slow_reader_loses_frames_and_sees_the_gap(bridge_factory) -> None:  # noqa: ANN001
    settings = BridgeSettings(outbox_frames=4)
    with (
        bridge_factory(SimSource(3000, interval=0.1), settings=settings) as running,
        stream(running, max_queue=2) as ws,
    ):
        dropped = running.service.metrics.dropped
        send(ws, "subscribe", sim_symbols(3000))
        ack, _ = read_until(ws, "subscribed", timeout=10)
        deadline = time.monotonic() + 30
        while dropped._value.get() == 0 and time.monotonic() < deadline:
            time.sleep(0.05)  # not reading: socket buffers fill, then the bridge's outbox overflows
        assert dropped._value.get() > 0
        seqs = [ack["seq"]]
        while time.monotonic() < deadline and seqs[-1] - seqs[0] == len(seqs) - 1:
            seqs.append(json.loads(ws.recv(timeout=5))["seq"])  # the buffered frames, then the jump
    jumps = [b - a for a, b in zip(seqs, seqs[1:], strict=False) if b - a > 1]
    assert seqs == sorted(seqs) and len(jumps) == 1, "a slow reader must see a sequence gap"


def test_metrics_count_the_stream(sim_bridge: Running) -> None:
    with stream(sim_bridge) as ws:
        send(ws, "subscribe", sim_symbols(3))
        read_until(ws, "subscribed")
        frames = read_for(ws, 0.6)
        with sim_bridge.http() as http:
            assert http.get("/v1/health").status_code == 200
            text = http.get("/metrics").text
    values = {
        line.rsplit(" ", 1)[0]: float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line and not line.startswith("#")
    }
    sent = sum(len(f["ticks"]) for f in frames if f["type"] == "ticks")
    assert values["qdesk_bridge_clients"] == 1.0 and values["qdesk_bridge_subscribed_symbols"] == 3.0
    assert values["qdesk_bridge_ticks_out_total"] >= sent > 0
    assert values["qdesk_bridge_ticks_in_total"] >= values["qdesk_bridge_ticks_out_total"]
    assert values["qdesk_bridge_frames_out_total"] >= len(frames)
    assert values["qdesk_bridge_source_connected"] == 1.0 and values["qdesk_bridge_dropped_messages_total"] == 0.0
    assert values['qdesk_bridge_http_request_duration_seconds_count{route="/v1/health"}'] >= 1.0
    assert values['qdesk_bridge_http_requests_total{method="GET",route="/v1/health",status="200"}'] >= 1.0
