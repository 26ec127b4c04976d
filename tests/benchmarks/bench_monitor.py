"""Monitoring figures: cost of one sampling tick, alert evaluation, bridge-health events, /metrics scrapes, logging.

Run on demand:  .venv/bin/python -m tests.benchmarks.bench_monitor [--symbols 50]

The store holds real daily bars of the first N CSI300 stocks from ../shared/data/cn (plus the
CSI300 index). All work runs on the calling thread, as the GUI timer runs it.
"""

from __future__ import annotations

import argparse
import logging
import os
import statistics
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def _ms(samples: list[float]) -> str:
    ordered = sorted(samples)
    p99 = ordered[int(0.99 * (len(ordered) - 1))]
    return f"median {1000 * statistics.median(ordered):.3f} ms, p99 {1000 * p99:.3f} ms"


def build_store(folder: Path, n: int):  # noqa: ANN201
    from core.data.importer import import_one
    from core.storage import MarketStore
    from tests.realdata import shared_data_dir

    cn = shared_data_dir() / "cn"
    store = MarketStore.open(folder / "market.sqlite")
    import_one(store, cn / "index" / "daily" / "000300.SH.csv")
    for path in sorted((cn / "daily").glob("*.csv"))[:n]:
        import_one(store, path)
    return store


def bench_collectors(store, folder: Path) -> None:  # noqa: ANN001
    from core.bridge.client.events import ConnectionState, ConnectionStateChanged, TicksReceived
    from core.monitor.app_metrics import AppCollector
    from core.monitor.bridge_health import BridgeHealth
    from core.monitor.freshness import FreshnessCollector
    from core.monitor.system import SystemCollector
    from core.quotes.hub import QuoteHub
    from core.quotes.session import beijing_now

    health = BridgeHealth()
    health.attached = True  # as attach() does, without a client
    health.on_event(ConnectionStateChanged(ConnectionState.CONNECTED))
    now = time.time()
    frame = TicksReceived((), 1, now, now + 0.004)
    started = time.perf_counter()
    for _ in range(200_000):
        health.on_event(frame)
    rate = 200_000 / (time.perf_counter() - started)
    print(f"bridge health: {rate:,.0f} tick frames/s recorded; window holds {len(health.latencies()):,} samples")
    for name, collector in (
        ("system", SystemCollector(folder)),
        ("app", AppCollector(QuoteHub())),
        ("bridge (full latency window)", health),
        (f"data freshness ({len(store.series())} series)", FreshnessCollector(store, beijing_now)),
    ):
        times = []
        for _ in range(50):
            t0 = time.perf_counter()
            collector.collect()
            times.append(time.perf_counter() - t0)
        print(f"collect {name}: {_ms(times)}")


def bench_alerts() -> None:
    from core.monitor.alerts import AlertEngine, AlertRule

    rules = [AlertRule(f"r{i}", f"m{i}", ">", 50.0, 5.0) for i in range(200)]
    clock = [0.0]
    engine = AlertEngine(rules, lambda: clock[0], max_per_minute=6)
    times = []
    for step in range(2000):
        values = {f"m{i}": float((step + i) % 100) for i in range(200)}
        clock[0] += 1.0
        t0 = time.perf_counter()
        engine.evaluate(values)
        times.append(time.perf_counter() - t0)
    print(
        f"alert evaluation, 200 rules: {_ms(times)}; {len(engine.active())} active, "
        f"{engine.suppressed:,} firings suppressed by cooldown/storm limit"
    )


def bench_panel_and_scrape(store, folder: Path) -> None:  # noqa: ANN001
    import httpx
    from PySide6.QtWidgets import QApplication

    from app.monitor_presenter import MonitorPresenter
    from app.monitor_sampling import MonitorSources
    from core.monitor.config import MonitorConfig
    from core.quotes.hub import QuoteHub
    from widgets.monitor_panel import MonitorPanel

    app = QApplication.instance() or QApplication([])
    panel = MonitorPanel()
    panel.resize(1280, 700)
    panel.show()
    clock = [time.time()]
    presenter = MonitorPresenter(
        panel,
        MonitorSources(folder, store=store, hub=QuoteHub()),
        MonitorConfig(metrics_port=0),
        clock=lambda: clock[0],
        start=False,
    )
    times = []
    for _ in range(120):
        clock[0] += 1.0
        t0 = time.perf_counter()
        presenter.refresh()
        app.processEvents()
        times.append(time.perf_counter() - t0)
    print(f"presenter tick, Health tab shown (sample + render 6 sections with sparklines): {_ms(times)}")
    panel.tabs.setCurrentIndex(2)  # the Log tab: sections are not redrawn
    times = []
    for _ in range(120):
        clock[0] += 1.0
        t0 = time.perf_counter()
        presenter.refresh()
        app.processEvents()
        times.append(time.perf_counter() - t0)
    print(f"presenter tick, Health tab hidden (sample + alerts + summary): {_ms(times)}")

    from app.metrics_server import MetricsServer
    from core.monitor.exporter import monitor_registry

    server = MetricsServer(monitor_registry(presenter.monitor), 0)
    server.start()
    with httpx.Client() as client:
        times = []
        for _ in range(200):
            t0 = time.perf_counter()
            body = client.get(server.url).text
            times.append(time.perf_counter() - t0)
    server.stop()
    print(f"/metrics scrape over loopback ({body.count(chr(10))} lines): {_ms(times)}")
    logger = logging.getLogger("bench.monitor")
    logger.propagate = False
    from core.monitor.logs import rotating_file_handler

    file_handler = rotating_file_handler(folder)
    logger.addHandler(file_handler)
    logger.addHandler(presenter.log_handler)
    logger.setLevel(logging.INFO)
    t0 = time.perf_counter()
    for i in range(20_000):
        logger.info("order %d accepted", i, extra={"symbol": "600000.SH"})
    rate = 20_000 / (time.perf_counter() - t0)
    t0 = time.perf_counter()
    presenter.flush_logs()
    flush = time.perf_counter() - t0
    file_handler.close()
    print(
        f"logging: {rate:,.0f} records/s to the JSON-lines file and the panel tail; "
        f"panel flush of {presenter.log_handler.entries().__len__():,} rows {1000 * flush:.0f} ms"
    )
    presenter.shutdown()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--symbols", type=int, default=50)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        t0 = time.perf_counter()
        store = build_store(folder, args.symbols)
        print(f"store: {len(store.series())} daily series imported in {time.perf_counter() - t0:.1f} s")
        bench_collectors(store, folder)
        bench_alerts()
        bench_panel_and_scrape(store, folder)
        store.close()


if __name__ == "__main__":
    main()
