"""QDesk Bridge figures: end-to-end tick latency and sustained rate, production settings, 5,500 symbols.

Run on demand (not part of the test suite):
    .venv/bin/python -m tests.benchmarks.bench_bridge [--seconds 5] [--rates 2000 10000 25000 50000 100000]

The bridge runs in a child process (as in production) on 127.0.0.1 with `BridgeSettings()` as shipped
(256-frame outbox, default rate limits); the sim source offers 5,500 symbols, each snapshotted once per
5,500/rate seconds, every one subscribed by QDesk's own BridgeClient. Latency is end to end: from the
bridge's stamp when the source hands it the tick to the moment the client's listener holds the decoded
Tick (after the frame is parsed and Ticks built), so client decoding is included. Each offered rate is
run with row frames (the form other clients get), JSON column frames (one array per field per batch) and
binary frames (the same arrays as raw little-endian numbers, what QDesk's client asks for), on fresh
bridges; first, one 5,500-tick frame is encoded and decoded in each form in this process (encode, decode
to Ticks, size). At each offered rate the benchmark prints
received ticks/s, p50/p99/max latency and sequence gaps (frames the bridge shed for a client that fell
behind), then, per form, the highest offered rate with 0 gaps and p99 < 50 ms.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing as mp
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]

TOKEN = "bench-token-" + "0123456789abcdefghijklmnopqrstuv"
SYMBOLS = 5500
P99_TARGET_MS = 50.0


def _serve(rate: float, ports: Any, config_dir: str, extra_tokens: tuple[str, ...] = (), columns: bool = True) -> None:
    from core.bridge.auth import TokenStore
    from core.bridge.server.runner import ServeOptions, run_bridge
    from core.bridge.service import BridgeService, BridgeSettings
    from core.bridge.sources.sim import SimSource
    from core.util.memory import favour_throughput_gc

    tokens = TokenStore.in_dir(Path(config_dir))
    for token in (TOKEN, *extra_tokens):
        tokens.add(token, "bench")
    # Production settings; `columns` False is the row-frame bridge, for the before/after comparison.
    settings = BridgeSettings(column_frames=columns)
    service = BridgeService(SimSource(SYMBOLS, interval=SYMBOLS / rate), tokens, settings)

    def ready(address: Any, _server: Any) -> None:
        favour_throughput_gc()  # as `main.py bridge` does once it serves
        ports.put(address.port)

    asyncio.run(run_bridge(service, ServeOptions(port=0), ready))


class Bridge:
    def __init__(self, rate: float, tokens: list[str] | None = None, columns: bool = True) -> None:
        ctx = mp.get_context("spawn")
        ports = ctx.Queue()
        self._tmp = tempfile.TemporaryDirectory(prefix="qdesk-bench-")
        self.process = ctx.Process(
            target=_serve, args=(rate, ports, self._tmp.name, tuple(tokens or ()), columns), daemon=True
        )
        self.process.start()
        self.url = f"http://127.0.0.1:{ports.get(timeout=60)}"

    def rss_mb(self) -> float:
        import psutil

        return psutil.Process(self.process.pid).memory_info().rss / 2**20

    def close(self) -> None:
        self.process.terminate()
        self.process.join(10)
        self._tmp.cleanup()


async def _desktop_collector(period_s: float = 0.5) -> None:
    """What QDesk's window does (app/gc_guard.py): automatic collection off, the due generation collected
    on a timer, so a burst of ticks is not interrupted by hundreds of collections a second."""
    from core.util.memory import collect_due

    gc.disable()
    try:
        while True:
            await asyncio.sleep(period_s)
            collect_due()
    finally:
        gc.enable()


async def _measure(
    url: str,
    symbols: list[str],
    seconds: float,
    warmup: float = 2.0,
    frames: str = "binary",
    client_gc: str = "desktop",
) -> dict[str, Any]:
    from core.bridge.client import BridgeClient, ConnectionState, GapDetected, TicksReceived

    latencies: list[float] = []
    counts = {"ticks": 0, "gaps": 0, "missed_frames": 0}
    measuring = {"on": False}

    def listen(event: Any) -> None:
        if not measuring["on"]:
            return
        if isinstance(event, TicksReceived) and not event.reconciled:
            now = time.time()  # the Ticks are built: decoding is inside the figure
            counts["ticks"] += len(event.ticks)
            latencies.extend([now - event.server_time] * len(event.ticks))
        elif isinstance(event, GapDetected):
            counts["gaps"] += 1
            counts["missed_frames"] += event.received - event.expected

    collector = asyncio.get_running_loop().create_task(_desktop_collector()) if client_gc == "desktop" else None
    client = BridgeClient(url, token=TOKEN, frames=frames)
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
    if collector is not None:
        collector.cancel()
        await asyncio.gather(collector, return_exceptions=True)
    latencies.sort()

    def pick(q: float) -> float:
        return latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else float("nan")

    return {"rate": counts["ticks"] / elapsed, "p50": pick(0.50), "p99": pick(0.99), "max": pick(1.0), **counts}


def _load() -> str:
    return ", ".join(f"{x:.1f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "?"


def _sample_ticks(symbols: list[str]) -> list[tuple[Any, int]]:
    import datetime as dt
    import random

    from core.domain.ticks import Tick

    rng = random.Random(15)
    now = dt.datetime(2021, 12, 1, 10, 15, 3)
    out = []
    for n, symbol in enumerate(symbols, 1):
        p = round(rng.uniform(3, 80), 2)
        bids = tuple(round(p - 0.01 * i, 2) for i in range(1, 6))
        asks = tuple(round(p + 0.01 * i, 2) for i in range(1, 6))
        vols = tuple(float(rng.randrange(1, 900) * 100) for _ in range(5))
        tick = Tick(
            symbol, now, p, p, p + 0.3, p - 0.3, p - 0.1, 1e6, p * 1e6, bids, vols, asks, vols, p * 1.1, p * 0.9
        )
        out.append((tick, n))
    return out


def _codec_figures(symbols: list[str], repeats: int = 5) -> None:
    """Encode (bridge), decode to Ticks (client) and size of one 5,500-tick frame, rows against columns."""
    from core.bridge.binary_frames import decode_binary
    from core.bridge.protocol import TickBatch, decode, ticks_frame, ticks_from_columns, ticks_from_rows

    items = _sample_ticks(symbols)
    picked = list(range(len(items)))

    def best(fn: Any) -> float:
        times = []
        for _ in range(repeats):
            started = time.perf_counter()
            fn()
            times.append(time.perf_counter() - started)
        return min(times) * 1000

    def binary_to_ticks(frame: bytes) -> list[Any]:
        return decode_binary(frame)[2]

    def rows_to_ticks(frame: str) -> list[Any]:
        return ticks_from_rows(decode(frame)["ticks"])

    def columns_to_ticks(frame: str) -> list[Any]:
        return ticks_from_columns(decode(frame)["columns"])

    forms = (("rows", rows_to_ticks), ("columns", columns_to_ticks), ("binary", binary_to_ticks))
    for name, to_ticks in forms:
        frame = ticks_frame(1, time.time(), TickBatch(items, picked, {}), name)
        assert len(to_ticks(frame)) == len(items)  # type: ignore[operator]
        encode_ms = best(lambda n=name: ticks_frame(1, 0.0, TickBatch(items, picked, {}), n))
        decode_ms = best(lambda f=frame, d=to_ticks: d(f))
        print(
            f"{name:>7} frame of {len(items):,} ticks: encode {encode_ms:6.1f} ms  "
            f"decode to Ticks {decode_ms:6.1f} ms  size {_size(frame) / 1e6:5.2f} MB  load {_load()}",
            flush=True,
        )


def _size(frame: str | bytes) -> int:
    return len(frame) if isinstance(frame, bytes) else len(frame.encode())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="measuring time per offered rate")
    parser.add_argument(
        "--rates", type=float, nargs="+", default=[2_000, 10_000, 25_000, 50_000, 100_000], help="offered ticks/s"
    )
    parser.add_argument(
        "--frames",
        nargs="+",
        choices=["rows", "columns", "binary"],
        default=["rows", "columns", "binary"],
        help="tick frame forms",
    )
    parser.add_argument(
        "--client-gc",
        choices=["desktop", "default"],
        default="desktop",
        help="the client's garbage collection: as QDesk's window does it (on a 0.5 s timer) or Python's default",
    )
    args = parser.parse_args()
    from core.bridge.sources.sim import sim_symbols

    symbols = sim_symbols(SYMBOLS)
    print(
        f"machine: {mp.cpu_count()} CPU(s), load average {_load()}; bridge in a child process with production "
        f"settings; {SYMBOLS:,} sim symbols, all subscribed by one BridgeClient (garbage collection: "
        f"{args.client_gc}{' — on a 0.5 s timer, as the window does' if args.client_gc == 'desktop' else ''})",
        flush=True,
    )
    _codec_figures(symbols)
    best = dict.fromkeys(args.frames, 0.0)
    for rate in args.rates:
        for form in args.frames:
            bridge = Bridge(rate, columns=form != "rows")
            try:
                r = asyncio.run(_measure(bridge.url, symbols, args.seconds, frames=form, client_gc=args.client_gc))
                rss = bridge.rss_mb()
            finally:
                bridge.close()
            ok = r["gaps"] == 0 and r["p99"] < P99_TARGET_MS and r["rate"] >= 0.9 * rate
            best[form] = max(best[form], rate) if ok else best[form]
            print(
                f"{form:>7} offered {rate:>9,.0f} ticks/s: received {r['rate']:>9,.0f}/s  p50 {r['p50']:8.2f} ms  "
                f"p99 {r['p99']:8.2f} ms  max {r['max']:8.2f} ms  gaps {r['gaps']} ({r['missed_frames']} frames)  "
                f"bridge RSS {rss:,.0f} MiB  load {_load()}{'' if ok else '  (not sustained)'}",
                flush=True,
            )
    for form, rate in best.items():
        print(f"{form:>7}: highest offered rate with 0 gaps and p99 < {P99_TARGET_MS:.0f} ms: {rate:,.0f} ticks/s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
