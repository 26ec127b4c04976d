"""The one interface every bridge data source implements: QMT (xtquant), recorded replay, synthetic sim."""

from __future__ import annotations

import datetime as dt
from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from core.domain.bars import Bar, Freq, Instrument
from core.domain.ticks import Tick


class SourceUnavailable(RuntimeError):
    """The source cannot run on this machine or with this configuration; the message is one sentence."""


class SourceDisconnected(RuntimeError):
    """The source is running but has lost its upstream (QMT closed); queries fail until it is back."""


@dataclass(frozen=True, slots=True)
class StuckCall:
    """A call into the upstream (xtquant) still running after its time limit ran out."""

    lane: str
    call: str
    since: float  # time.monotonic() when it started


class SourceSink(Protocol):
    """Where a source reports; always called on the event loop's thread."""

    def ticks_arrived(self, ticks: Sequence[Tick]) -> None: ...

    def connection_changed(self, connected: bool) -> None: ...

    def reconnected(self) -> None: ...

    def call_timed_out(self, lane: str, call: str) -> None: ...


class NullSink:
    """A sink that ignores everything, for a source used before the bridge wires it up."""

    def ticks_arrived(self, ticks: Sequence[Tick]) -> None:
        pass

    def connection_changed(self, connected: bool) -> None:
        pass

    def reconnected(self) -> None:
        pass

    def call_timed_out(self, lane: str, call: str) -> None:
        pass


class Source(ABC):
    """A market-data source. The bridge reference-counts subscriptions across its clients and calls
    `subscribe` for a symbol's first subscriber and `unsubscribe` when its last one leaves."""

    name: str = "source"
    #: True for QMT: health reports `qmt_connected` only for sources that have a QMT link.
    is_qmt: bool = False

    def __init__(self) -> None:
        self.sink: SourceSink = NullSink()
        self.reconnects = 0

    @property
    def connected(self) -> bool:
        return True

    def stuck_calls(self) -> list[StuckCall]:
        """Upstream calls past their time limit and not yet returned; only QMT has any."""
        return []

    async def start(self, sink: SourceSink) -> None:
        """Begin producing; raise SourceUnavailable with one clear sentence when this cannot work."""
        self.sink = sink

    async def stop(self) -> None:  # noqa: B027 - an optional hook: most sources hold nothing to release
        """Stop producing and release what `start` acquired; safe to call twice."""

    @abstractmethod
    async def subscribe(self, symbols: Sequence[str]) -> None: ...

    @abstractmethod
    async def unsubscribe(self, symbols: Sequence[str]) -> None: ...

    @abstractmethod
    async def quotes(self, symbols: Sequence[str]) -> dict[str, Tick]:
        """The latest snapshot of each symbol the source knows; unknown symbols are left out."""

    @abstractmethod
    async def instruments(self) -> list[Instrument]: ...

    async def sector(self, name: str) -> list[str]:
        """The codes of a sector (板块) by name; LookupError saying why when there is no such sector here."""
        raise LookupError(f'the {self.name} source has no sectors; subscribe to symbols or to ["*"]')

    async def trading_calendar(self) -> list[dt.date]:
        """The exchange's trading days from the source's history through the last year it has holidays for
        (future sessions included); LookupError saying why when the source knows no calendar."""
        raise LookupError(f"the {self.name} source has no exchange calendar; only QMT publishes one")

    @abstractmethod
    async def bars(
        self, symbol: str, freq: Freq, start: dt.datetime | None, end: dt.datetime | None, adjust: str
    ) -> list[Bar]:
        """Bars of one symbol between start and end (inclusive), oldest first, adjusted as asked."""

    def pause(self) -> None:  # noqa: B027 - an optional hook: live sources do nothing
        """Hold production (a replay stops its clock); live sources keep running."""

    def resume(self) -> None:  # noqa: B027 - an optional hook, paired with `pause`
        """Undo `pause`."""
