"""Order book figures: what the book costs the GUI thread per full-market tick batch, beside the quote board's cost.

Run on demand:  .venv/bin/python -m tests.benchmarks.bench_order_book [--batches 400]

Feed: 5,500 symbols, each updated once every 3 s, in batches every 50 ms (~92 ticks a batch), the followed
symbol's real SSE snapshots (600103.SH, 2021-12-01) among them. Each batch goes through the real presenters'
relay slots on the GUI thread: the order book (filter, tape, five levels and up to 100 trades painted into
its tables) and, as the peer figure, the quote board model's apply_ticks on the same batch.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def measure(batches: int, n_symbols: int = 5500, per_batch: int = 92) -> dict[str, list[float]]:
    from PySide6.QtWidgets import QApplication

    from app.order_book_presenter import OrderBookPresenter
    from app.quote_board_presenter import QuoteBoardPresenter
    from core.quotes.hub import QuoteHub
    from core.quotes.watchlists import WatchlistStore
    from core.trading.rulebook import RuleBook
    from tests.core.trading.conftest import load_ticks
    from widgets.order_book_panel import OrderBookPanel
    from widgets.quote_board_panel import QuoteBoardPanel

    app = QApplication.instance() or QApplication(sys.argv)
    followed = [t for t in load_ticks("600103.SH") if t.volume > 0]
    template = followed[0]
    symbols = [f"{600000 + i:06d}.SH" for i in range(n_symbols - 1)]
    hub = QuoteHub()
    book_panel, board_panel = OrderBookPanel(), QuoteBoardPanel()
    book = OrderBookPresenter(book_panel, hub, {}, lambda *_: None, limits=RuleBook().limits)
    book.set_symbol("600103.SH")
    with tempfile.TemporaryDirectory() as tmp:
        watch = WatchlistStore.load(Path(tmp) / "w.json", symbols[:200])
        QuoteBoardPresenter(board_panel, hub, watch, {})
    book_ms, board_ms = [], []
    for i in range(batches):
        own = followed[i % len(followed)]
        start = (i * per_batch) % len(symbols)
        others = [dataclasses.replace(template, symbol=s, time=own.time) for s in symbols[start : start + per_batch]]
        batch = [*others, own]
        t0 = time.perf_counter()
        book._on_relay_ticks(batch)
        t1 = time.perf_counter()
        board_panel.model.apply_ticks(batch)
        t2 = time.perf_counter()
        book_ms.append((t1 - t0) * 1000)
        board_ms.append((t2 - t1) * 1000)
    app.processEvents()
    return {"book": book_ms, "board": board_ms}


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--batches", type=int, default=400)
    args = parser.parse_args()
    figures = measure(args.batches)
    print(f"{'load average (1/5/15 min)':<48} {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    print(f"{'batches of ~93 ticks (5,500 symbols / 3 s)':<48} {args.batches}")
    for label, key in (("order book, per batch", "book"), ("quote board model (peer), per batch", "board")):
        ms = figures[key]
        print(f"{label:<48} p50 {statistics.median(ms):.3f} ms  p99 {_quantile(ms, 0.99):.3f} ms  max {max(ms):.3f} ms")
    sys.stdout.flush()
    os._exit(0)  # PySide can crash tearing down widgets at interpreter exit; the figures are out


if __name__ == "__main__":
    sys.exit(main())
