"""QDesk Bridge figures: tick latency server -> client, sustained throughput to one client, RSS at 5,500 symbols.

Run on demand (not part of the test suite):
    .venv/bin/python -m tests.benchmarks.bench_bridge [--seconds 10] [--data ../shared/data]

The bridge runs in a child process (as it does in production, apart from the client) on 127.0.0.1;
the client is QDesk's own BridgeClient, so figures include its decoding and gap bookkeeping.
- latency: the sim source at 2,000 ticks/s (5,500 symbols, one snapshot each every 2.75 s), every
  symbol subscribed; latency = client receipt time - the bridge's stamp on the frame.
- throughput: real Level-1 snapshots (cn/tick/snapshot, 30 SH stocks) replayed in a ring as fast as
  the bridge takes them; ticks received per second and sequence gaps seen by the client.
- RSS: resident memory of the bridge process with 5,500 sim symbols subscribed and streaming.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing as mp
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

TOKEN = "bench-token-" + "0" * 32


# -- the bridge process ------------------------------------------------------------------------
def _ring_source(snapshot_dir: str, rate: float) -> Any:
    """A source replaying real recorded snapshots in a ring at `rate` ticks per second."""
    import datetime as dt

    from core.bridge.sources.base import Source
    from core.bridge.sources.replay_files import discover, session_events

    class RingSource(Source):
        name = "ring"

        def __init__(self) -> None:
            super().__init__()
            sessions = discover(Path(snapshot_dir))
            day = dt.date(2021, 12, 1)
            self.ticks = [e.tick for e in session_events(sessions[day], day)]
            self.wanted: set[str] = set()
            self._task: asyncio.Task[None] | None = None

        async def start(self, sink: Any) -> None:
            await super().start(sink)
            self._task = asyncio.get_running_loop().create_task(self._run(), name="ring")

        async def stop(self) -> None:
            if self._task:
                self._task.cancel()

        async def _run(self) -> None:
            import time as _time

            i, n, sent = 0, len(self.ticks), 0
            started = _time.monotonic()
            while True:
                await asyncio.sleep(0.005)
                if not self.wanted:
                    started, sent = _time.monotonic(), 0
                    continue
                due = int((_time.monotonic() - started) * rate) - sent
                while due > 0:  # paced at `rate`, in batches of at most a few hundred ticks
                    take = min(due, 500, n - i)
                    self.sink.ticks_arrived(self.ticks[i : i + take])
                    i, sent, due = (i + take) % n, sent + take, due - take

        async def subscribe(self, symbols: Sequence[str]) -> None:
            self.wanted.update(symbols)

        async def unsubscribe(self, symbols: Sequence[str]) -> None:
            self.wanted.difference_update(symbols)

        async def quotes(self, symbols: Sequence[str]) -> dict:
            return {}

        async def instruments(self) -> list:
            return []

        async def bars(self, *args: Any) -> list:
            return []

    return RingSource()


def _serve(kind: str, arg: Any, ports: Any, config_dir: str) -> None:
    from core.bridge.auth import TokenStore
    from core.bridge.server.runner import ServeOptions, run_bridge
    from core.bridge.service import BridgeService, BridgeSettings
    from core.bridge.sources.sim import SimSource

    source = SimSource(5500, interval=arg) if kind == "sim" else _ring_source(*arg)
    tokens = TokenStore.in_dir(Path(config_dir))
    tokens.add(TOKEN, "bench")
    # A deep outbox: the figure is what the link sustains, and any shed frame would show as a gap.
    service = BridgeService(source, tokens, BridgeSettings(outbox_frames=4096, requests_per_s=1000))
    asyncio.run(run_bridge(service, ServeOptions(port=0), lambda address, _s: ports.put(address.port)))


class Bridge:
    def __init__(self, kind: str, arg: Any) -> None:
        ctx = mp.get_context("spawn")
        ports = ctx.Queue()
        self._tmp = tempfile.TemporaryDirectory(prefix="qdesk-bench-")
        self.process = ctx.Process(target=_serve, args=(kind, arg, ports, self._tmp.name), daemon=True)
        self.process.start()
        self.url = f"http://127.0.0.1:{ports.get(timeout=60)}"

    def rss_mb(self) -> float:
        import psutil

        return psutil.Process(self.process.pid).memory_info().rss / 2**20

    def close(self) -> None:
        self.process.terminate()
        self.process.join(10)
        self._tmp.cleanup()


# -- the client side ---------------------------------------------------------------------------
async def _measure(url: str, symbols: list[str], seconds: float, warmup: float = 2.0) -> dict[str, Any]:
    from core.bridge.client import BridgeClient, ConnectionState, GapDetected, TicksReceived

    latencies: list[float] = []
    counts = {"ticks": 0, "gaps": 0, "missed_frames": 0}
    measuring = {"on": False}

    def listen(event: Any) -> None:
        if not measuring["on"]:
            return
        if isinstance(event, TicksReceived) and not event.reconciled:
            counts["ticks"] += len(event.ticks)
            lag = event.received_at - event.server_time
            latencies.extend([lag] * len(event.ticks))
        elif isinstance(event, GapDetected):
            counts["gaps"] += 1
            counts["missed_frames"] += event.received - event.expected

    client = BridgeClient(url, token=TOKEN)
    client.add_listener(listen)
    client.start()
    await client.wait_for_state(ConnectionState.CONNECTED, timeout=30)
    await client.subscribe(symbols)
    await asyncio.sleep(warmup)
    measuring["on"] = True
    started = time.perf_counter()
    await asyncio.sleep(seconds)
    measuring["on"] = False
    elapsed = time.perf_counter() - started
    await client.close()
    latencies.sort()
    pick = (
        (lambda q: latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000)
        if latencies
        else (lambda q: float("nan"))
    )
    return {
        "rate": counts["ticks"] / elapsed,
        "p50": pick(0.50),
        "p99": pick(0.99),
        "max": pick(1.0),
        "mean": statistics.fmean(latencies) * 1000 if latencies else float("nan"),
        **counts,
    }


async def _measure_raw(url: str, symbols: list[str], seconds: float, warmup: float = 2.0) -> dict[str, Any]:
    """The stream alone: a plain WebSocket reader that parses frames and checks `seq`, building no Ticks."""
    import orjson
    from websockets.asyncio.client import connect

    ticks = gaps = 0
    expected = 1
    async with connect(
        url.replace("http://", "ws://") + "/v1/stream",
        max_size=None,
        compression=None,
        additional_headers={"Authorization": f"Bearer {TOKEN}"},
    ) as ws:
        await ws.recv()
        await ws.send(orjson.dumps({"op": "subscribe", "symbols": symbols}).decode())
        loop = asyncio.get_running_loop()
        start_at, stop_at = loop.time() + warmup, loop.time() + warmup + seconds
        async for raw in ws:
            frame = orjson.loads(raw)
            seq = frame.get("seq", expected)
            now = loop.time()
            if now >= start_at:
                gaps += seq > expected
                if frame.get("type") == "ticks":
                    ticks += len(frame["ticks"])
            expected = seq + 1
            if now >= stop_at:
                break
    return {"rate": ticks / seconds, "gaps": gaps}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measuring time per figure")
    parser.add_argument(
        "--rates",
        type=float,
        nargs="+",
        default=[10_000, 25_000, 50_000, 75_000],
        help="offered tick rates for the throughput figure",
    )
    parser.add_argument("--data", default=str(REPO.parent / "shared" / "data"), help="shared real-data folder")
    args = parser.parse_args()
    from core.bridge.sources.sim import sim_symbols

    symbols = sim_symbols(5500)
    import os

    load = ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"
    print(
        f"machine: {mp.cpu_count()} CPU(s), load average {load}; bridge in a child process; client = BridgeClient",
        flush=True,
    )

    bridge = Bridge("sim", 5500 / 2000)
    try:
        lat = asyncio.run(_measure(bridge.url, symbols, args.seconds))
        rss = bridge.rss_mb()
    finally:
        bridge.close()
    print(
        f"latency at 2,000 ticks/s (5,500 symbols): received {lat['rate']:,.0f} ticks/s, "
        f"p50 {lat['p50']:.2f} ms, p99 {lat['p99']:.2f} ms, max {lat['max']:.2f} ms, gaps {lat['gaps']}",
        flush=True,
    )
    print(f"bridge RSS with 5,500 sim symbols subscribed and streaming: {rss:,.1f} MiB", flush=True)

    snapshot_dir = Path(args.data) / "cn" / "tick" / "snapshot"
    codes = sorted(p.name.split("_")[0] for p in snapshot_dir.glob("*.csv"))
    best = 0.0
    for rate in args.rates:
        bridge = Bridge("ring", (str(snapshot_dir), rate))
        try:
            thr = asyncio.run(_measure(bridge.url, codes, args.seconds / 2))
        finally:
            bridge.close()
        ok = thr["gaps"] == 0 and thr["rate"] >= 0.95 * rate
        best = max(best, thr["rate"]) if ok else best
        print(
            f"throughput, offered {rate:,.0f} ticks/s of real snapshots: received {thr['rate']:,.0f} ticks/s, "
            f"sequence gaps {thr['gaps']} ({thr['missed_frames']} frames), p50 {thr['p50']:.1f} ms, "
            f"p99 {thr['p99']:.1f} ms{'' if ok else '  (not sustained)'}",
            flush=True,
        )
    print(f"sustained throughput to one client with zero sequence gaps: {best:,.0f} ticks/s", flush=True)
    rate = max(args.rates)
    bridge = Bridge("ring", (str(snapshot_dir), rate))
    try:
        raw = asyncio.run(_measure_raw(bridge.url, codes, args.seconds / 2))
    finally:
        bridge.close()
    print(
        f"stream alone (plain WebSocket reader, no Tick objects), offered {rate:,.0f} ticks/s: "
        f"received {raw['rate']:,.0f} ticks/s, sequence gaps {raw['gaps']}",
        flush=True,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
