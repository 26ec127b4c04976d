"""Desktop figures: time to first window, the quote board under a full-market feed, chart open and pan times.

Run on demand:  .venv/bin/python -m tests.benchmarks.bench_desktop [--seconds 15]

Feed: 5,500 symbols, each updated once every 3 s, delivered in batches every 50 ms (what a
Level-1 full-market subscription looks like: ~1,833 ticks/s). The board shows a 5,500-row
watchlist sorted by change %, the worst case for repaints. Measured on the GUI thread:
CPU %, model flushes and view repaints per second, and tick-to-model latency (tick stamped when
the source creates it, measured when the model has stored it).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
REPO = Path(__file__).resolve().parents[2]


def time_to_first_window(data_dir: Path | None = None) -> tuple[float, float, float]:
    """(seconds until the screenshot is written, seconds until the process has exited, CPU seconds of the process) of
    `main.py --screenshot` in a fresh process.

    The first is the time to the first painted window with its chart drawn (an upper bound: it includes
    grabbing the window, which paints all of it once more, and writing the image; a BMP, so the figure does not
    count PNG compression, ~80 ms here); the second adds closing the store and the interpreter's exit. Without
    `data_dir` the store is empty, so the window opens on the demo replay.
    """
    with tempfile.TemporaryDirectory() as tmp:
        cpu0 = _children_cpu()
        started = time.perf_counter()
        process = subprocess.Popen(
            [
                sys.executable,
                str(REPO / "main.py"),
                "--data-dir",
                str(data_dir) if data_dir is not None else f"{tmp}/data",
                "--lang",
                "en",
                "--screenshot",
                f"{tmp}/shot.bmp",
            ],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            env=_installed_env(),
        )
        assert process.stdout is not None
        printed = process.stdout.readline()  # the image's path, printed once it is written
        written = time.perf_counter() - started
        process.stdout.read()
        if process.wait() != 0 or not printed.strip():
            raise SystemExit(f"bench_desktop: the screenshot run failed (exit {process.returncode})")
        return written, time.perf_counter() - started, _children_cpu() - cpu0


def _installed_env() -> dict[str, str]:
    """The child's environment with bytecode caching on, as in an installed app (whose packages ship compiled):
    a shell that sets PYTHONDONTWRITEBYTECODE would otherwise time the compiling of every module at each start."""
    return {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}


def _children_cpu() -> float:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def quote_board_under_load(seconds: float, n_symbols: int = 5500, cadence_s: float = 3.0) -> dict[str, float]:
    import qasync
    from PySide6.QtCore import QEvent, QObject, Qt
    from PySide6.QtWidgets import QApplication

    from app.quote_board_presenter import QuoteBoardPresenter
    from core.domain.ticks import Tick
    from core.quotes.hub import QuoteHub
    from core.quotes.watchlists import WatchlistStore
    from widgets.quote_board_model import COLUMNS
    from widgets.quote_board_panel import QuoteBoardPanel

    app = QApplication.instance() or QApplication([])
    symbols = [f"{600000 + i:06d}.SH" for i in range(n_symbols)]
    tmp = tempfile.TemporaryDirectory()
    hub = QuoteHub()
    panel = QuoteBoardPanel()
    panel.resize(1000, 700)
    latencies: list[float] = []
    model = panel.model
    original_apply = model.apply_ticks

    def measured_apply(ticks: list[Tick]) -> None:  # wraps the real model method: no behaviour change
        original_apply(ticks)
        now = time.perf_counter()
        latencies.extend(now - t.amount for t in ticks)  # the sim stamps perf_counter() into `amount`

    model.apply_ticks = measured_apply  # type: ignore[method-assign]  (before the presenter connects it)
    QuoteBoardPresenter(panel, hub, WatchlistStore.load(Path(tmp.name) / "w.json", symbols), {})
    panel.table.sortByColumn([c.key for c in COLUMNS].index("change_pct"), Qt.SortOrder.DescendingOrder)
    panel.show()

    class PaintCounter(QObject):
        paints = 0

        def eventFilter(self, obj: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                PaintCounter.paints += 1
            return False

    counter = PaintCounter()
    panel.table.viewport().installEventFilter(counter)

    batch_s = 0.05
    per_batch = max(1, int(n_symbols * batch_s / cadence_s))
    rng = random.Random(7)
    prices = {s: 10.0 for s in symbols}

    async def feed() -> None:
        i = 0
        end = time.perf_counter() + seconds
        while time.perf_counter() < end:
            batch = []
            for _ in range(per_batch):
                sym = symbols[i % n_symbols]
                i += 1
                prices[sym] *= 1 + rng.uniform(-0.002, 0.002)
                p = prices[sym]
                batch.append(Tick(sym, dt.datetime(2023, 1, 3, 10), p, 10, p, p, 10.0, 1e6, time.perf_counter()))
            hub.publish(batch)
            await asyncio.sleep(batch_s)

    cpu0, wall0 = time.thread_time(), time.perf_counter()
    flushes0, paints0 = model.flushes, PaintCounter.paints
    qasync.run(feed())
    wall = time.perf_counter() - wall0
    cpu = time.thread_time() - cpu0
    latencies.sort()
    result = {
        "ticks": model.ticks_received,
        "ticks_per_s": model.ticks_received / wall,
        "gui_cpu_pct": 100.0 * cpu / wall,
        "flushes_per_s": (model.flushes - flushes0) / wall,
        "paints_per_s": (PaintCounter.paints - paints0) / wall,
        "latency_p50_ms": 1000 * latencies[len(latencies) // 2] if latencies else float("nan"),
        "latency_p99_ms": 1000 * latencies[int(len(latencies) * 0.99)] if latencies else float("nan"),
    }
    panel.close()
    tmp.cleanup()
    del app
    return result


def chart_figures(runs: int = 5) -> list[tuple[str, float, int]]:
    """Open-to-painted times of the chart (store load on a worker thread, aggregation, studies, first
    paint) and the cost of one pan step, for 10 years of real daily bars and for 1-minute bars.

    Data: 600000.SH daily 2013-2022 and 000001.SZ 1m bars (one day, and the whole of January 2018)
    from the shared real-data folder, imported into a temporary store with the CSV importer.
    """
    from PySide6.QtWidgets import QApplication

    from app.chart_presenter import ChartPresenter
    from core.data.importer import import_files
    from core.storage import MarketStore
    from tests.realdata import shared_data_dir
    from widgets.chart_panel import ChartPanel

    app = QApplication.instance() or QApplication([])
    cn = shared_data_dir() / "cn"
    tmp = tempfile.TemporaryDirectory()
    root = Path(tmp.name)
    daily = (cn / "daily" / "600000.SH.csv").read_text().splitlines()
    minutes = (cn / "minute" / "000001.SZ.csv").read_text().splitlines()
    (root / "d").mkdir()
    (root / "d" / "600000.SH.csv").write_text("\n".join([daily[0]] + [r for r in daily[1:] if r >= "2013"]) + "\n")
    (root / "m1").mkdir()
    (root / "m1" / "000001.SZ.csv").write_text(
        "\n".join([minutes[0]] + [r for r in minutes[1:] if r.startswith("2018-01-30")]) + "\n"
    )
    (root / "m21").mkdir()
    (root / "m21" / "000001.SZ.csv").write_text("\n".join(minutes) + "\n")
    stores = {}
    for name, folder, freq in (("daily", "d", "1d"), ("day1m", "m1", "1m"), ("month1m", "m21", "1m")):
        store = MarketStore.open(root / f"{name}.sqlite")
        for _ in import_files(store, [next((root / folder).glob("*.csv"))], freq=freq, workers=1):
            pass
        store.close()
        stores[name] = root / f"{name}.sqlite"

    out: list[tuple[str, float, int]] = []
    cases = (
        ("10 years of daily bars (600000.SH 2013-2022)", "daily", "600000.SH", "1d"),
        ("one day of 1-min bars (000001.SZ 2018-01-30)", "day1m", "000001.SZ", "1m"),
        ("a month of 1-min bars (000001.SZ 2018-01, 21 days)", "month1m", "000001.SZ", "1m"),
        ("the same month as 5-min bars", "month1m", "000001.SZ", "5m"),
    )
    for label, key, symbol, period in cases:
        panel = ChartPanel()
        panel.resize(1200, 760)
        panel.show()
        presenter = ChartPresenter(panel, stores[key], None, {}, period=period)
        loaded: list[object] = []
        presenter.sig_loaded.connect(loaded.append)
        times = []
        for i in range(runs):
            started = time.perf_counter()
            presenter.open_symbol(symbol)
            while len(loaded) <= i:
                app.processEvents()
            panel.grab()  # the first full paint of every pane
            times.append(time.perf_counter() - started)
        bars = len(panel.data) if panel.data is not None else 0
        out.append((f"chart open: {label}, median of {runs}", sorted(times)[runs // 2] * 1000, bars))
        for visible in (120, bars):
            panel.set_visible_range(bars - visible, visible)
            panel.grab()
            steps = 100
            started = time.perf_counter()
            for step in range(steps):
                panel.pan(-1 if (step // 50) % 2 == 0 else 1)
                panel.graphics.grab()  # a full, synchronous paint of every pane
            out.append(
                (
                    f"  pan one bar and repaint, {min(visible, bars):,} bars in view",
                    (time.perf_counter() - started) / steps * 1000,
                    bars,
                )
            )
        panel.close()
    tmp.cleanup()
    return out


def real_store(symbols: int, folder: Path) -> Path:
    """A data folder whose store holds the first `symbols` real daily series of the shared data, imported."""
    from core.data.importer import import_files
    from core.paths import store_path
    from core.storage import MarketStore

    files = sorted((REPO.parent / "shared" / "data" / "cn" / "daily").glob("*.csv"))[:symbols]
    if len(files) < symbols:
        raise SystemExit(f"bench_desktop: need {symbols} files in ../shared/data/cn/daily, found {len(files)}")
    store = MarketStore.open(store_path(folder))
    try:
        for _ in import_files(store, files, freq="1d"):
            pass
    finally:
        store.close()
    return folder


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=15.0)
    parser.add_argument("--real-dir", type=Path, help="a real data folder to launch on (default: import 250 symbols)")
    parser.add_argument("--real-symbols", type=int, default=250)
    parser.add_argument("--launch-only", action="store_true", help="only the time to first window")
    args = parser.parse_args()
    from app.resources import demo_daily_dir, demo_instruments_file
    from core.data.demo_store import open_demo_store

    with tempfile.TemporaryDirectory() as tmp:
        real = args.real_dir or real_store(args.real_symbols, Path(tmp))
        # A first start imports the bundled demo bars into a new store; a returning user's data folder
        # already holds the demo store its first start built (built here, untimed).
        returning = Path(tmp) / "demo-returning"
        open_demo_store(returning / "demo" / "market.sqlite", [demo_daily_dir(), demo_instruments_file()]).close()
        time_to_first_window(returning)  # untimed: leaves every module compiled, as an installed app has them
        cases = (
            ("demo, first start (builds the demo store)", None),
            ("demo, returning user (demo store already built)", returning),
            (f"real store {real}", real),
        )
        for label, folder in cases:
            runs = [time_to_first_window(folder) for _ in range(3)]
            print(f"time to first window, {label} (3 runs; window drawn and grabbed / process exit / CPU)")
            for name, column in (("  window drawn and grabbed", 0), ("  process exited", 1), ("  CPU", 2)):
                values = [run[column] for run in runs]
                print(f"{name:<56} " + ", ".join(f"{v:.2f} s" for v in values) + f"  (best {min(values):.2f} s)")
    print(f"{'load average (1/5/15 min)':<56} {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if args.launch_only:
        sys.stdout.flush()
        os._exit(0)
    load = quote_board_under_load(args.seconds)
    print(f"{'quote board: 5,500 symbols / 3 s, ' + str(int(args.seconds)) + ' s run':<56}")
    print(f"{'  ticks delivered':<56} {load['ticks']:,.0f} ({load['ticks_per_s']:,.0f}/s)")
    print(f"{'  GUI-thread CPU':<56} {load['gui_cpu_pct']:.1f} %")
    print(f"{'  model flushes / s (cap ~30)':<56} {load['flushes_per_s']:.1f}")
    print(f"{'  view repaints / s':<56} {load['paints_per_s']:.1f}")
    print(
        f"{'  tick-to-model latency p50 / p99':<56} {load['latency_p50_ms']:.2f} ms / {load['latency_p99_ms']:.2f} ms"
    )
    for label, ms, bars in chart_figures():
        print(f"{label:<64} {ms:7.1f} ms  ({bars:,} bars)")
    sys.stdout.flush()
    # PySide can crash while Python tears down a finished qasync loop; the figures are out, so skip it.
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main())
