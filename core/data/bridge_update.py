"""Update from the bridge: download the history each stored series is missing through /v1/bars.

A generator job (core.jobs): one series per step, each written in its own transaction, the cancel
token checked between series, so a cancelled or failed update keeps every series it finished and
never leaves one half-written. The bridge client is async; the job awaits it through a LoopThread,
while SQLite writes stay on whatever thread runs the job.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from core.domain.bars import Bar, Freq
from core.domain.symbols import Board, Exchange, parse_symbol
from core.jobs import CancelToken, Progress
from core.storage.market_store import BAR_COLUMNS, MarketStore
from core.util.loop_thread import LoopThread

if TYPE_CHECKING:
    import pandas as pd

    from core.bridge.client import BridgeClient

# Where a series with nothing stored starts: daily history from the start of the CSI300 era,
# minutes for the last month (a bridge on QMT holds about that much 1m history by default).
DAILY_HISTORY_START = dt.date(2005, 1, 1)
MINUTE_HISTORY_DAYS = 30
Fetch = Callable[["UpdatePlan"], Sequence[Bar]]


class BadBridgeBars(ValueError):
    """The bridge sent bars that cannot be stored; the message names symbol, time and field."""


@dataclass(frozen=True, slots=True)
class UpdatePlan:
    """One series to download: bars from `start` (inclusive) up to `end` (None: the newest)."""

    symbol: str
    freq: Freq
    start: dt.datetime
    end: dt.datetime | None = None


@dataclass(frozen=True, slots=True)
class SeriesUpdated:
    """The outcome for one series: bars received, rows new and changed, or the reason it failed."""

    symbol: str
    freq: str
    received: int = 0
    inserted: int = 0
    updated: int = 0
    error: str = ""


def plan_updates(store: MarketStore, series: Sequence[tuple[str, str]], today: dt.date) -> list[UpdatePlan]:
    """What each (symbol, freq) is missing: everything from its last stored bar on, or a default history."""
    stored = {(s.symbol, s.freq): s.last_time for s in store.series()}
    plans = []
    for symbol, freq_text in dict.fromkeys(series):
        freq = Freq(freq_text)
        last = stored.get((symbol, freq.value))
        if last is not None:
            # From the last stored bar itself: it may have been stored while still forming (a daily
            # bar fetched during the session), and the upsert corrects it if the bridge has it final.
            start = dt.datetime.fromisoformat(last)
        elif freq is Freq.DAY:
            start = dt.datetime.combine(DAILY_HISTORY_START, dt.time())
        else:
            start = dt.datetime.combine(today - dt.timedelta(days=MINUTE_HISTORY_DAYS), dt.time())
        if start.date() <= today:
            plans.append(UpdatePlan(symbol, freq, start))
    return plans


def update_from_bridge(
    store: MarketStore, fetch: Fetch, plans: Sequence[UpdatePlan], cancel: CancelToken | None = None
) -> Iterator[Progress | SeriesUpdated]:
    """Download and store each plan; yields a SeriesUpdated and a Progress per series.

    A series the bridge answers badly for is reported and skipped; when the bridge is unreachable
    or refuses the token the job stops, since every later request would fail the same way.
    """
    # Imported here: the desktop imports this module at start-up, the bridge client (httpx) only on use.
    from core.bridge.client import BridgeAuthError, BridgeError, BridgeUnavailable

    token = cancel or CancelToken()
    for done, plan in enumerate(plans, start=1):
        token.raise_if_cancelled()
        try:
            bars = fetch(plan)
            result = _store(store, plan, bars)
        except (BridgeAuthError, BridgeUnavailable):
            raise
        except (BridgeError, BadBridgeBars) as exc:
            result = SeriesUpdated(plan.symbol, plan.freq.value, error=str(exc))
        yield result
        yield Progress(done, len(plans), plan.symbol)


def _store(store: MarketStore, plan: UpdatePlan, bars: Sequence[Bar]) -> SeriesUpdated:
    frame = bars_frame(plan, bars)
    if frame is None:
        return SeriesUpdated(plan.symbol, plan.freq.value)
    with store.transaction():  # a series is stored whole or not at all
        revision = store.next_revision()
        store.ensure_instruments([plan.symbol])
        result = store.upsert_bars(plan.symbol, plan.freq.value, frame, revision)
        if result.inserted:
            days = sorted({str(t)[:10] for t in frame["time"]})
            store.add_trading_days("bars", days)
            parsed = parse_symbol(plan.symbol)
            if parsed.exchange is Exchange.SH and parsed.board is Board.INDEX:
                store.add_trading_days("index", days)
        store.log_import(
            revision,
            f"bridge:/v1/bars?symbol={plan.symbol}&period={plan.freq.value}",
            f"bars:{plan.freq.value}",
            result.rows,
            result.inserted,
            result.updated,
            0,
        )
    return SeriesUpdated(plan.symbol, plan.freq.value, len(bars), result.inserted, result.updated)


def bars_frame(plan: UpdatePlan, bars: Sequence[Bar]) -> pd.DataFrame | None:
    """Bars in the store's columns after the same checks the CSV importer makes; None when empty."""
    import pandas as pd

    rows = []
    previous = ""
    for bar in bars:
        when = bar.time.strftime("%Y-%m-%d" if plan.freq is Freq.DAY else "%Y-%m-%d %H:%M:%S")
        _check(plan.symbol, when, previous, bar)
        previous = when
        rows.append(
            (
                when,
                bar.open,
                bar.high,
                bar.low,
                bar.close,
                bar.volume,
                math.nan if bar.amount is None else bar.amount,
                math.nan if bar.factor is None else bar.factor,
            )
        )
    if not rows:
        return None
    return pd.DataFrame(rows, columns=list(BAR_COLUMNS))


def _check(symbol: str, when: str, previous: str, bar: Bar) -> None:
    def bad(field: str, why: str) -> BadBridgeBars:
        return BadBridgeBars(f"{symbol} {when}: field '{field}': {why}")

    if when <= previous:
        raise bad("time", f"not after the previous bar ({previous})")
    for field in ("open", "high", "low", "close"):
        value = getattr(bar, field)
        if not (math.isfinite(value) and value > 0):
            raise bad(field, f"not a positive price ({value})")
    if bar.high < bar.low:
        raise bad("high", "high < low")
    if not (math.isfinite(bar.volume) and bar.volume >= 0):
        raise bad("volume", f"not a volume ({bar.volume})")


class BridgeBars:
    """A fetch function over one BridgeClient, awaited from the calling thread through a LoopThread."""

    def __init__(self, url: str, token: str | None = None, *, timeout: float = 300.0, **client_options: Any) -> None:
        from core.bridge.client import BridgeClient

        self.timeout = timeout  # per series: a hung bridge fails the update instead of freezing it
        self._loop = LoopThread("bridge-bars")
        self.client: BridgeClient = BridgeClient(url, token, **client_options)

    def __call__(self, plan: UpdatePlan) -> list[Bar]:
        return self._loop.call(self.client.bars(plan.symbol, plan.freq, plan.start, plan.end), self.timeout)

    def trading_calendar(self) -> list[dt.date]:
        """The exchange calendar the bridge serves (QMT's, future sessions included)."""
        return self._loop.call(self.client.trading_calendar(), self.timeout)

    def close(self) -> None:
        try:
            self._loop.call(self.client.close(), self.timeout)
        finally:
            self._loop.close()

    def __enter__(self) -> BridgeBars:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()
