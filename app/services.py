"""Services of one desktop session: the market store, quote hub and feed, watchlists."""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from app.resources import demo_daily_dir, demo_instruments_file
from core.data.demo_store import open_demo_store
from core.paths import store_path
from core.quotes.demo_feed import DemoReplayFeed, build_replay
from core.quotes.hub import QuoteHub
from core.quotes.watchlists import WatchlistStore
from core.storage.market_store import MarketStore

WATCHLIST_FILE = "watchlists.json"


@dataclass
class Services:
    """What the presenters are built from; created before the window, closed after it."""

    data_dir: Path
    demo: bool
    store: MarketStore
    hub: QuoteHub
    feed: DemoReplayFeed | None
    watchlists: WatchlistStore
    names: dict[str, str]
    _scratch: tempfile.TemporaryDirectory[str] | None = field(default=None, repr=False)

    def close(self) -> None:
        self.store.close()
        if self._scratch is not None:
            self._scratch.cleanup()


def open_services(data_dir: Path, demo: bool, scratch: bool = False) -> Services:
    """Open the user's store, or the demo store when asked or when the user's holds no bars.

    `scratch` (screenshot runs) keeps every file in a temporary folder, so the data folder is untouched.
    """
    user_store = store_path(data_dir)
    use_demo = demo or not _has_bars(user_store)
    tmp = tempfile.TemporaryDirectory(prefix="qdesk-") if scratch else None
    base = Path(tmp.name) if tmp is not None else data_dir
    if use_demo:
        store = open_demo_store(base / "demo" / "market.sqlite", [demo_daily_dir(), demo_instruments_file()])
    else:
        store = MarketStore.open(user_store)
    names = {r["symbol"]: r["name"] for r in store.instruments() if r["name"]}
    symbols = [s.symbol for s in store.series("1d")]
    watchlists = WatchlistStore.load(base / ("demo" if use_demo else "") / WATCHLIST_FILE, symbols[:200])
    hub = QuoteHub()
    feed = DemoReplayFeed(hub, build_replay(store, symbols[:200])) if use_demo else None
    if feed is None:
        # With no live source yet, the board shows each symbol's last stored close rather than blanks.
        for day in build_replay(store, watchlists.symbols(), days=1):
            hub.publish(day.ticks)
    return Services(data_dir, use_demo, store, hub, feed, watchlists, names, tmp)


def _has_bars(path: Path) -> bool:
    if not path.exists():
        return False
    store = MarketStore.open(path)
    try:
        return bool(store.series())
    finally:
        store.close()
