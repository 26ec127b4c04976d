"""Services of one desktop session: market store, quote hub and feed (demo replay or bridge), watchlists, runs, jobs."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from app.resources import demo_daily_dir, demo_instruments_file
from core.events import EventBus, InstrumentsUpdated
from core.jobs import JobRegistry
from core.paths import store_path
from core.quotes.demo_feed import DemoReplayFeed, build_replay
from core.quotes.hub import QuoteHub
from core.quotes.watchlists import WatchlistStore
from core.research.registry import RunRegistry
from core.storage.market_store import MarketStore

if TYPE_CHECKING:
    from core.bridge.client import BridgeClient, ClientEvent

WATCHLIST_FILE = "watchlists.json"
log = logging.getLogger(__name__)


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
    bridge: BridgeClient | None = None  # the live source when a bridge is configured (and not in demo)
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set, repr=False)
    _subscribed: set[str] = field(default_factory=set, repr=False)
    _user_store: MarketStore | None = field(default=None, repr=False)  # opened in demo mode for imports
    events: EventBus = field(default_factory=EventBus)  # the session's facts: runs, jobs, the account
    float_shares: dict[str, float] = field(default_factory=dict)  # tradable shares per symbol: turnover %'s base
    runs: RunRegistry = field(init=False)
    jobs: JobRegistry = field(init=False)

    def __post_init__(self) -> None:
        self.runs = RunRegistry(self.data_dir, self.events)
        self.jobs = JobRegistry(self.events)

    @property
    def scratch(self) -> bool:
        """A throw-away session (a screenshot): nothing it writes outlives it."""
        return self._scratch is not None

    @property
    def session_dir(self) -> Path:
        """Where this session keeps its own files (paper account, audit log, chart state): the data folder,
        its demo/ sandbox in demo mode, a scratch folder for screenshots."""
        base = Path(self._scratch.name) if self._scratch is not None else self.data_dir
        return base / "demo" if self.demo else base

    @property
    def user_store_path(self) -> Path:
        """The user's own market store (never the demo sandbox); a scratch session keeps it in its folder."""
        return store_path(Path(self._scratch.name) if self._scratch is not None else self.data_dir)

    def data_store(self) -> MarketStore:
        """The store the data manager works on: the user's own, even in demo mode, whose data is read-only."""
        if not self.demo:
            return self.store
        if self._user_store is None:
            self._user_store = MarketStore.open(self.user_store_path)
        return self._user_store

    def user_has_bars(self) -> bool:
        """Whether the user's own store holds bars: what leaving demo mode would open."""
        return bool(self.data_store().series())

    def start(self) -> None:
        """Start the quote source on the running loop: the demo replay, or the bridge stream."""
        if self.feed is not None:
            self.feed.start()
        if self.bridge is not None:
            self.bridge.add_listener(self._on_bridge_event)
            self.bridge.start()
            self.subscribe(s for name in self.watchlists.names() for s in self.watchlists.symbols(name))
            self._track(asyncio.get_running_loop().create_task(self.sync_instruments(), name="bridge-instruments"))

    async def sync_instruments(self, today: dt.date | None = None) -> int:
        """Take names, listing dates, ST marks and share capital from the bridge's instrument list into the
        store; the session's names and float shares follow and `InstrumentsUpdated` tells the docks. Returns
        how many names were new."""
        from core.data.instrument_list import store_listed_instruments

        if self.bridge is None:
            return 0
        listed = await self.bridge.instruments()
        new = store_listed_instruments(self.store, listed, today or dt.date.today())
        self.names.update({r["symbol"]: r["name"] for r in self.store.instruments() if r["name"]})
        self.float_shares.update(float_shares_of(self.store))
        self.events.publish(InstrumentsUpdated(new))
        return new

    def subscribe(self, symbols: Iterable[str]) -> None:
        """Ask the bridge for live ticks of `symbols` (kept across reconnects); nothing to do in demo mode."""
        new = [s for s in dict.fromkeys(symbols) if s not in self._subscribed]
        if self.bridge is None or not new:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return  # not started yet: start() subscribes the watchlists
        self._subscribed.update(new)
        self._track(loop.create_task(self.bridge.subscribe(new), name="bridge-subscribe"))

    def _track(self, task: asyncio.Task[Any]) -> None:
        self._tasks.add(task)
        task.add_done_callback(self._task_done)

    async def stop(self) -> None:
        """Stop the quote source; every task this session started is awaited, none left running."""
        if self.feed is not None:
            await self.feed.stop()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        if self.bridge is not None:
            await self.bridge.close()

    def _on_bridge_event(self, event: ClientEvent) -> None:
        from core.bridge.client import TicksReceived

        if isinstance(event, TicksReceived):
            self.hub.publish(event.ticks)

    def _task_done(self, task: asyncio.Task[Any]) -> None:
        self._tasks.discard(task)
        if not task.cancelled() and task.exception() is not None:
            log.error("%s failed", task.get_name(), exc_info=task.exception())

    def close(self) -> None:
        self.store.close()
        if self._user_store is not None:
            self._user_store.close()
        if self._scratch is not None:
            self._scratch.cleanup()


def open_services(
    data_dir: Path,
    demo: bool,
    scratch: bool = False,
    bridge_url: str = "",
    bridge_token: str | None = None,
    bridge_ca_file: str = "",
) -> Services:
    """Open the user's store, or the demo store when asked or when the user's holds no bars.

    `scratch` (screenshot runs) keeps every file in a temporary folder, so the data folder is untouched.
    With `bridge_url` (and real data) quotes come from that bridge; `bridge_token` None reads the
    token from the OS keyring.
    """
    user_store = store_path(data_dir)
    use_demo = demo or not _has_bars(user_store)
    tmp = tempfile.TemporaryDirectory(prefix="qdesk-") if scratch else None
    base = Path(tmp.name) if tmp is not None else data_dir
    if use_demo:
        from core.data.demo_store import copy_demo_store, open_demo_store

        demo_file = base / "demo" / "market.sqlite"
        if tmp is not None:
            # A screenshot opens a copy of the demo store the data folder already holds, as the window
            # would, instead of importing the bundled bars again; the data folder's own copy is untouched.
            copy_demo_store(data_dir / "demo" / "market.sqlite", demo_file)
        store = open_demo_store(demo_file, [demo_daily_dir(), demo_instruments_file()])
    else:
        store = MarketStore.open(user_store)
    names = {r["symbol"]: r["name"] for r in store.instruments() if r["name"]}
    symbols = [s.symbol for s in store.series("1d")]
    watchlists = WatchlistStore.load(base / ("demo" if use_demo else "") / WATCHLIST_FILE, symbols[:200])
    hub = QuoteHub()
    replay = build_replay(store, symbols[:200]) if use_demo else []
    feed = DemoReplayFeed(hub, replay) if use_demo else None
    if replay:
        hub.publish(replay[0].ticks)  # the board and chart open on the replay's first day, not blank
    if feed is None:
        # With no live source yet, the board shows each symbol's last stored close rather than blanks.
        for day in build_replay(store, watchlists.symbols(), days=1):
            hub.publish(day.ticks)
    bridge = None
    if bridge_url and not use_demo:
        from core.bridge.client import BridgeClient  # httpx and websockets load only when a bridge is used

        bridge = BridgeClient(bridge_url, bridge_token, ca_file=bridge_ca_file or None)
    services = Services(data_dir, use_demo, store, hub, feed, watchlists, names, tmp, bridge)
    services.float_shares.update(float_shares_of(store))
    return services


def float_shares_of(store: MarketStore) -> dict[str, float]:
    """The latest tradable shares the store knows per symbol."""
    from core.storage.instrument_shares import current_shares

    return {s: c.float_shares for s, c in current_shares(store).items() if c.float_shares}


def _has_bars(path: Path) -> bool:
    if not path.exists():
        return False
    store = MarketStore.open(path)
    try:
        return bool(store.series())
    finally:
        store.close()
