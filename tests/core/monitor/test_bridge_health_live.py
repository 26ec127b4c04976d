"""Bridge health against a real loopback bridge: connected with latency, down while stopped, one reconnect."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.bridge.client import BridgeClient, ConnectionState, TicksReceived
from core.bridge.sources.sim import SimSource, sim_symbols
from core.monitor.alerts import AlertEngine, AlertRule, NoticeKind, Severity
from core.monitor.bridge_health import BridgeHealth
from core.util.backoff import Backoff
from tests.core.bridge.conftest import serve

FAST = Backoff(initial=0.05, factor=2.0, maximum=0.3)


async def _in_thread(fn: Callable[[], Any], timeout: float = 30.0) -> Any:
    """Run `fn` on a daemon thread: a bridge that hangs while stopping fails the test instead of blocking it."""
    done = threading.Event()
    outcome: dict[str, Any] = {}

    def work() -> None:
        try:
            outcome["value"] = fn()
        except BaseException as exc:  # noqa: BLE001 (re-raised on the loop below)
            outcome["error"] = exc
        finally:
            done.set()

    threading.Thread(target=work, daemon=True).start()
    await _until(done.is_set, timeout)
    if "error" in outcome:
        raise outcome["error"]
    return outcome.get("value")


async def _until(predicate: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


def test_health_follows_a_real_bridge_through_a_restart(tmp_path: Path) -> None:
    token = "monitor-token-" + "x" * 24
    holder: dict[str, Any] = {"first": serve(SimSource(20, interval=0.2), tmp_path / "a", token=token)}
    running = holder["first"].__enter__()
    port = running.address.port
    # Both clocks run with the wall but can be wound forward, so "down for 0.2 s" needs no waiting.
    skew = {"s": 0.0}
    health = BridgeHealth(clock=lambda: time.monotonic() + skew["s"])
    rule = AlertRule("bridge_down", "bridge.connected", "<", 1, 0.2, Severity.CRITICAL)
    engine = AlertEngine([rule], clock=lambda: time.time() + skew["s"])

    async def body() -> None:
        client = BridgeClient(running.url, token=token, backoff=FAST)
        health.attach(client)
        frames: list[TicksReceived] = []
        client.add_listener(lambda e: frames.append(e) if isinstance(e, TicksReceived) and not e.reconciled else None)
        client.start()
        await client.wait_for_state(ConnectionState.CONNECTED)
        await client.subscribe(sim_symbols(20))
        await _until(lambda: len(frames) >= 5)
        values = health.collect()
        assert values["bridge.connected"] == 1 and values["bridge.state"] == "connected"
        assert values["bridge.latency_p50_ms"] is not None and 0 <= values["bridge.latency_p50_ms"] < 1000
        assert values["bridge.latency_p99_ms"] >= values["bridge.latency_p50_ms"]
        assert engine.evaluate(health.collect()) == []

        first = holder.pop("first")
        await _in_thread(lambda: first.__exit__(None, None, None))
        await client.wait_for_state(ConnectionState.RECONNECTING)
        assert engine.evaluate(health.collect()) == []  # not yet down for 0.2 s
        skew["s"] += 0.3
        fired = engine.evaluate(health.collect())
        assert [n.kind for n in fired] == [NoticeKind.FIRED]
        assert health.collect()["bridge.down_seconds"] >= 0.3

        second = serve(SimSource(20, interval=0.2), tmp_path / "b", port=port, token=token)
        await _in_thread(second.__enter__)
        holder["second"] = second
        await client.wait_for_state(ConnectionState.CONNECTED, timeout=15)
        values = health.collect()
        assert values["bridge.reconnects"] == 1 and values["bridge.down_seconds"] == 0.0
        assert [n.kind for n in engine.evaluate(values)] == [NoticeKind.RESOLVED]
        await client.close()

    try:
        asyncio.run(asyncio.wait_for(body(), 60))
    finally:
        for key in ("first", "second"):
            if key in holder:
                holder[key].__exit__(None, None, None)
