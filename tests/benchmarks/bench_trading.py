"""Trading figures: order round trip on loopback (client -> bridge -> fake xttrader -> fill event back),
pre-trade check cost per order, and a paper order placed and filled with its SQLite write.

Run on demand (not part of the test suite):
    .venv/bin/python -m tests.benchmarks.bench_trading [--orders 300] [--checks 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from pathlib import Path

from core.bridge.client.http import BridgeHttp
from core.domain.orders import OrderRequest, Side
from core.trading.audit import AuditLog
from core.trading.paper import PaperBroker
from core.trading.risk import RiskEngine, RiskLimits
from core.trading.service import TradingService
from core.trading.store import TradingStore
from tests.core.bridge_trading.conftest import SYMBOL, serve_bridge
from tests.core.trading.conftest import continuous, load_ticks
from tests.fakes.xttrader_fake import FakeQmt

WIDE = RiskLimits(
    max_position_weight=1.0,
    max_orders_per_window=1_000_000,
    max_orders_per_day=1_000_000,
    duplicate_window_s=0.0,
    max_order_value=1e12,
)


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def round_trip(n: int, folder: Path) -> None:
    qmt = FakeQmt(cash=1e12)
    with serve_bridge(qmt, folder, _replay_dir(folder), WIDE) as bridge:

        async def run() -> list[float]:
            client = BridgeHttp(bridge.url, bridge.trade_token)
            await client.arm("benchmark")
            events = client.events()
            await anext(events)
            await client.orders()  # connects the trader before timing
            times = []
            for i in range(n):
                cid = f"B{i:06d}"
                started = time.perf_counter()
                await client.submit(OrderRequest(cid, SYMBOL, Side.BUY, 100, 2.80 - (i % 20) / 100))
                while True:
                    event = await anext(events)
                    if event["type"] == "trade" and event["trade"]["client_id"] == cid:
                        break
                times.append(time.perf_counter() - started)
            await events.aclose()
            await client.aclose()
            return times

        times = asyncio.run(run())
    ms = [t * 1000 for t in times]
    print(
        f"order round trip (HTTP POST -> bridge -> fake xttrader -> trade event on the stream), {n} orders: "
        f"p50 {statistics.median(ms):.2f} ms, p99 {_pct(ms, 0.99):.2f} ms, max {max(ms):.2f} ms"
    )


def _replay_dir(folder: Path) -> Path:
    import shutil

    from tests.realdata import shared_data_dir

    root = folder / "replay"
    root.mkdir(parents=True, exist_ok=True)
    shutil.copy(shared_data_dir() / "cn" / "tick" / "snapshot" / f"{SYMBOL}_2021-12-01.csv", root)
    return root


def check_cost(n: int, folder: Path) -> None:
    ticks = continuous(load_ticks(SYMBOL))
    clock = [ticks[0].time]
    broker = PaperBroker(TradingStore(folder / "trading.sqlite"), cash=1e9, clock=lambda: clock[0])
    broker.on_ticks(ticks[:1])
    service = TradingService(broker, RiskEngine(WIDE), AuditLog(folder / "audit.sqlite"))
    for i in range(200):  # a busy day: the duplicate/rate/count rules scan today's orders
        service.submit(OrderRequest(f"W{i}", SYMBOL, Side.BUY, 100, 2.50 + (i % 40) / 100))
    request = OrderRequest("probe", SYMBOL, Side.BUY, 1000, 2.80)
    started = time.perf_counter()
    for _ in range(n):
        service.risk.check(service.context(request))
    per = (time.perf_counter() - started) / n
    print(f"pre-trade checks (11 rules, 200 orders today, context gathered each time): {per * 1e6:.1f} us per order")
    ctx = service.context(request)
    started = time.perf_counter()
    for _ in range(n):
        service.risk.check(ctx)
    print(f"pre-trade rules alone: {(time.perf_counter() - started) / n * 1e6:.1f} us per order")
    started = time.perf_counter()
    m = 300
    for i in range(m):
        service.submit(OrderRequest(f"P{i}", SYMBOL, Side.BUY, 100, ticks[0].ask1))
    print(
        f"paper order end to end (audit, checks, fill, SQLite commit): "
        f"{(time.perf_counter() - started) / m * 1000:.2f} ms per order"
    )


def _tcp_listening_sockets() -> None:
    """asyncio sets TCP_NODELAY only on sockets whose proto is IPPROTO_TCP; a socket made with proto 0
    leaves Nagle on, and each keep-alive response then waits ~40 ms for the client's delayed ACK."""
    import socket

    import core.bridge.server.runner as runner

    base = socket.socket

    class TcpSocket(base):  # type: ignore[misc,valid-type]
        def __init__(self, family: int = -1, type: int = -1, proto: int = -1, fileno: int | None = None) -> None:
            if fileno is None and type == socket.SOCK_STREAM and proto in (-1, 0):
                proto = socket.IPPROTO_TCP
            super().__init__(family, type, proto, fileno)

    runner.socket.socket = TcpSocket  # type: ignore[misc]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--orders", type=int, default=300)
    parser.add_argument("--checks", type=int, default=20_000)
    parser.add_argument(
        "--tcp-nodelay",
        action="store_true",
        help="create the bridge's listening socket with proto=IPPROTO_TCP, so asyncio sets "
        "TCP_NODELAY on accepted connections (shows the figure once the runner does so)",
    )
    args = parser.parse_args()
    if args.tcp_nodelay:
        _tcp_listening_sockets()
    with tempfile.TemporaryDirectory(prefix="qdesk-bench-trading-") as tmp:
        round_trip(args.orders, Path(tmp) / "bridge")
        check_cost(args.checks, Path(tmp))


if __name__ == "__main__":
    main()
