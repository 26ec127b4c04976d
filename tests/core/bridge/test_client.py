"""BridgeClient against real loopback bridges: typed calls, states, reconnect after a restart, gap repair."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

import pytest

from core.bridge.client import (
    BridgeAuthError,
    BridgeClient,
    BridgeRequestError,
    BridgeUnavailable,
    ConnectionState,
    ConnectionStateChanged,
    GapDetected,
    QuotesReconciled,
    StreamStatusChanged,
    TicksReceived,
    save_token,
)
from core.bridge.service import BridgeSettings
from core.bridge.sources.history import StoreHistory
from core.bridge.sources.replay import ReplaySource
from core.bridge.sources.sim import SimSource, sim_symbols
from core.data.importer import import_one
from core.storage import MarketStore
from core.util.backoff import Backoff
from tests.core.bridge.conftest import TEST_SETTINGS, serve
from tests.fakes.memory_keyring import MemoryKeyring

FAST = Backoff(initial=0.05, factor=2.0, maximum=0.3)


def run(coro_fn: Callable[[], Coroutine[Any, Any, Any]], timeout: float = 60.0) -> Any:
    return asyncio.run(asyncio.wait_for(coro_fn(), timeout))


class Recorder:
    def __init__(self) -> None:
        self.events: list[Any] = []

    def __call__(self, event: Any) -> None:
        self.events.append(event)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]

    def states(self) -> list[ConnectionState]:
        return [e.state for e in self.of(ConnectionStateChanged)]

    async def wait(self, predicate: Callable[[], bool], timeout: float = 15.0) -> None:
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out; events: {[type(e).__name__ for e in self.events][-20:]}")
            await asyncio.sleep(0.02)


async def stream_ended(client: BridgeClient) -> None:
    """Wait for the client's connect loop to finish: it gave up for good and schedules no more attempts."""
    task = client._run_task
    assert task is not None
    await asyncio.wait_for(asyncio.shield(task), timeout=15)


def test_typed_http_calls_and_paging(cn_data: Path, tmp_path: Path) -> None:
    store = MarketStore.open(tmp_path / "market.sqlite")
    assert import_one(store, cn_data / "daily" / "600000.SH.csv").ok
    store.close()
    source = SimSource(10, interval=1.0, history=StoreHistory(tmp_path / "market.sqlite"))
    with serve(source, tmp_path / "cfg") as running:

        async def body() -> None:
            client = BridgeClient(running.url, token=running.token)
            try:
                health = await client.health()
                assert health["source"] == "sim" and health["api"] == "1"
                assert [i.symbol for i in await client.instruments()] == sim_symbols(10)
                whole = await client.bars("600000.SH", "1d", "2019-01-01", "2019-12-31", adjust="front")
                paged = await client.bars("600000.SH", "1d", "2019-01-01", "2019-12-31", adjust="front", page_size=17)
                assert len(whole) == 244 and paged == whole
                quotes = await client.quotes(sim_symbols(3))
                assert [q.symbol for q in quotes] == sim_symbols(3)
                with pytest.raises(BridgeRequestError, match="did you mean 600000.SH"):
                    await client.bars("600000")
            finally:
                await client.close()
            bad = BridgeClient(running.url, token="not-the-token-not-the-token")
            with pytest.raises(BridgeAuthError):
                await bad.health()
            await bad.close()

        run(body)
    gone = BridgeClient(running.url, token=running.token)

    async def after() -> None:
        with pytest.raises(BridgeUnavailable, match="cannot reach the bridge"):
            await gone.health()
        await gone.close()

    run(after)


def test_token_comes_from_the_keyring(tmp_path: Path) -> None:
    keyring = MemoryKeyring()
    with serve(SimSource(3), tmp_path) as running:
        save_token(running.url + "/", running.token, keyring)  # stored as typed, with a slash

        async def body() -> None:
            client = BridgeClient(running.url, keyring_backend=keyring)
            assert (await client.health())["status"] == "ok"
            await client.close()
            assert keyring.secrets == {("QDesk Bridge", running.url): running.token}

        run(body)


def test_states_auth_failed_then_a_new_token_connects(tmp_path: Path) -> None:
    with serve(SimSource(3), tmp_path) as running:

        async def body() -> None:
            rec = Recorder()
            client = BridgeClient(running.url, token="wrong-token-wrong-token-wrong", backoff=FAST)
            client.add_listener(rec)
            client.start()
            assert await client.wait_for_state(ConnectionState.AUTH_FAILED) is ConnectionState.AUTH_FAILED
            await stream_ended(client)  # refused for good: the client stopped trying, no retry storm
            assert rec.states() == [ConnectionState.CONNECTING, ConnectionState.AUTH_FAILED]  # no retry storm
            client.set_token(running.token)
            await client.wait_for_state(ConnectionState.CONNECTED)
            await client.close()
            assert rec.states()[-2:] == [ConnectionState.CONNECTED, ConnectionState.CLOSED]

        run(body)


def test_incompatible_api_version_is_final(tmp_path: Path) -> None:
    with serve(SimSource(3), tmp_path) as running:
        running.service.api_version = "2"

        async def body() -> None:
            client = BridgeClient(running.url, token=running.token, backoff=FAST)
            client.start()
            await client.wait_for_state(ConnectionState.INCOMPATIBLE)
            assert "API 2" in client.state_detail and "API 1" in client.state_detail
            await stream_ended(client)
            assert client.state is ConnectionState.INCOMPATIBLE
            await client.close()

        run(body)


def test_reconnect_after_restart_resubscribes_and_reconciles(
    tmp_path: Path, snapshot_dir: Path, snapshot_symbols: list[str]
) -> None:
    token = "restart-token-" + "x" * 24
    first = serve(ReplaySource(snapshot_dir, speed=300.0, loop=False), tmp_path / "a", token=token)
    running = first.__enter__()
    port = running.address.port
    holder: dict[str, Any] = {"first": first}

    async def body() -> None:
        rec = Recorder()
        client = BridgeClient(running.url, token=token, backoff=FAST)
        client.add_listener(rec)
        client.start()
        await client.wait_for_state(ConnectionState.CONNECTED)
        await client.subscribe(snapshot_symbols)
        await rec.wait(
            lambda: (
                len({t.symbol for e in rec.of(TicksReceived) if not e.reconciled for t in e.ticks})
                == len(snapshot_symbols)
            )
        )
        before_stop = {s: client.latest(s) for s in snapshot_symbols}

        await asyncio.to_thread(holder.pop("first").__exit__, None, None, None)  # the bridge goes away
        await client.wait_for_state(ConnectionState.RECONNECTING)
        # A few refused attempts while nothing listens.
        await rec.wait(lambda: sum("retrying" in e.detail for e in rec.of(ConnectionStateChanged)) >= 3)
        reconnecting_events = len(rec.events)

        # A new bridge process on the same port: new instance, the market further on (a short recording
        # replayed at full speed, so its last quotes are final within a moment).
        short = tmp_path / "short"
        short.mkdir()
        for path in snapshot_dir.glob("*.csv"):
            (short / path.name).write_text(
                "\n".join(path.read_text(encoding="utf-8").splitlines()[:400]) + "\n", encoding="utf-8"
            )
        quick_beats = BridgeSettings(
            heartbeat_s=0.5, requests_per_s=TEST_SETTINGS.requests_per_s, request_burst=TEST_SETTINGS.request_burst
        )
        second = serve(
            ReplaySource(short, speed=0, loop=False), tmp_path / "b", port=port, token=token, settings=quick_beats
        )
        running2 = await asyncio.to_thread(second.__enter__)
        holder["second"] = second
        while not running2.service.source.finished:
            await asyncio.sleep(0.02)  # the whole session replays at once: its last quotes are final
        await client.wait_for_state(ConnectionState.CONNECTED)
        await rec.wait(lambda: any(e.reason == "subscribed" for e in rec.of(QuotesReconciled)[1:]))
        await rec.wait(lambda: running2.service.fanout.subscribed_symbols == len(snapshot_symbols))

        served = {t.symbol: t for t in await client.quotes(snapshot_symbols)}
        # Nothing missing: the final state arrives, live or repaired. A frame shed at the very end of the
        # burst shows as a gap with the next heartbeat at the latest, and the repair follows.
        await rec.wait(lambda: all(client.latest(s) == served[s] for s in snapshot_symbols), timeout=10)
        assert all(client.latest(s) != before_stop[s] for s in snapshot_symbols)
        after = [e for e in rec.events[reconnecting_events:] if isinstance(e, TicksReceived)]
        assert {t.symbol for e in after for t in e.ticks if t == served[t.symbol]} == set(snapshot_symbols)
        states = rec.states()
        assert states[:2] == [ConnectionState.CONNECTING, ConnectionState.CONNECTED]
        assert ConnectionState.RECONNECTING in states[2:] and states[-1] is ConnectionState.CONNECTED
        health = await client.health()
        assert health["clients"] == 1 and health["subscribed_symbols"] == len(snapshot_symbols)
        await client.close()

    try:
        run(body)
    finally:
        for key in ("first", "second"):
            if key in holder:
                holder[key].__exit__(None, None, None)


def test_slow_client_detects_the_gap_and_repairs_from_quotes(tmp_path: Path) -> None:
    symbols = sim_symbols(2000)
    settings = BridgeSettings(
        outbox_frames=4, requests_per_s=TEST_SETTINGS.requests_per_s, request_burst=TEST_SETTINGS.request_burst
    )
    with serve(SimSource(2000, interval=0.1), tmp_path, settings=settings) as running:

        async def body() -> None:
            rec = Recorder()
            client = BridgeClient(running.url, token=running.token, backoff=FAST)
            blocked = {"armed": False, "done": False, "shed": False}

            def stall(event: Any) -> None:
                # The first tick batch after the whole subscription is in blocks the client's loop until the
                # bridge has shed frames. Stalling earlier (between subscribe chunks) would leave the bridge
                # sending small frames that the socket buffers absorb for a long time.
                if isinstance(event, TicksReceived) and blocked["armed"] and not blocked["done"]:
                    blocked["done"] = True
                    deadline = time.monotonic() + 60
                    while time.monotonic() < deadline:
                        if running.service.metrics.dropped._value.get() > 0:
                            blocked["shed"] = True
                            return
                        time.sleep(0.05)

            client.add_listener(rec)
            client.add_listener(stall)
            client.start()
            await client.wait_for_state(ConnectionState.CONNECTED)
            await client.subscribe(symbols)
            blocked["armed"] = True
            await rec.wait(lambda: bool(rec.of(GapDetected)), timeout=90)
            assert blocked["shed"], "the bridge never shed a frame while the client was stalled"
            await rec.wait(lambda: any(e.reason == "gap" for e in rec.of(QuotesReconciled)))
            gap = rec.of(GapDetected)[0]
            assert gap.received > gap.expected
            running.thread.call(running.service.pause)  # hold the market still, then compare
            await rec.wait(lambda: any(e.reason == "gap" for e in rec.of(QuotesReconciled)))
            # The paused status frame is numbered after every tick frame queued before it: once it is
            # here, nothing older is still on the way.
            await rec.wait(lambda: any(e.paused for e in rec.of(StreamStatusChanged)))
            await client.reconcile(symbols, "check")
            served = {t.symbol: t for t in await client.quotes(symbols)}
            assert all(client.latest(s) == served[s] for s in symbols)
            await client.close()

        run(body)


def test_a_silent_bridge_is_dropped_and_retried() -> None:
    """A peer that says hello and then sends nothing (no heartbeats) is a dead link: reconnect."""
    import json

    from websockets.asyncio.server import serve as ws_serve

    async def body() -> None:
        hellos: list[int] = []
        done = asyncio.Event()

        async def handler(ws: Any) -> None:
            hellos.append(1)
            await ws.send(
                json.dumps(
                    {
                        "type": "hello",
                        "api": "1",
                        "version": "x",
                        "instance": "silent",
                        "heartbeat_s": 0.1,
                        "source": "mute",
                        "paused": False,
                    }
                )
            )
            await done.wait()

        async with ws_serve(handler, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]
            rec = Recorder()
            client = BridgeClient(f"http://127.0.0.1:{port}", token="any-token-any-token-any", backoff=FAST)
            client.add_listener(rec)
            client.start()
            await client.wait_for_state(ConnectionState.CONNECTED)
            await rec.wait(lambda: len(hellos) >= 2, timeout=10)  # silence noticed, connected again
            details = [e.detail for e in rec.of(ConnectionStateChanged) if e.state is ConnectionState.RECONNECTING]
            assert any(d.startswith("the bridge went silent") for d in details), details
            await client.close()
            done.set()

    run(body)
