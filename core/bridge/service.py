"""The bridge as one object: source, fan-out, tokens, metrics and limits, independent of HTTP and of Qt."""

from __future__ import annotations

import datetime as dt
import logging
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from core.bridge import API_VERSION, BRIDGE_VERSION
from core.bridge.auth import TokenStore
from core.bridge.fanout import Fanout
from core.bridge.metrics import BridgeMetrics
from core.bridge.sources.base import Source
from core.domain.ticks import Tick

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class BridgeSettings:
    """Limits and cadences; the defaults suit a LAN bridge serving a handful of desktops."""

    heartbeat_s: float = 5.0
    outbox_frames: int = 256  # frames queued per client before the oldest tick frame is dropped
    max_clients: int = 64
    max_symbols_per_client: int = 10_000
    max_streams_per_token: int = 16  # one token cannot take every stream slot
    max_symbols_per_token: int = 30_000  # across that token's streams
    requests_per_s: float = 50.0  # per client address, sustained
    request_burst: int = 200
    auth_failures_per_min: int = 20  # then the address is refused for a minute
    max_body_bytes: int = 16 * 1024
    max_url_bytes: int = 8 * 1024
    max_ws_message_bytes: int = 256 * 1024
    ws_ops_per_s: float = 20.0
    column_frames: bool = True  # offer column (JSON or binary) tick frames to clients that ask for them


@dataclass(frozen=True, slots=True)
class BridgeStatus:
    """What a status display needs, as one immutable value other threads may read at any time."""

    source: str
    source_connected: bool
    qmt_connected: bool | None
    paused: bool
    clients: int
    subscribed_symbols: int
    ticks_per_s: float
    reconnects: int
    uptime_s: float
    stuck_calls: tuple[tuple[str, str, float], ...] = ()  # (lane, call, seconds running)


class BridgeService:
    def __init__(self, source: Source, tokens: TokenStore, settings: BridgeSettings | None = None) -> None:
        self.source = source
        self.tokens = tokens
        self.settings = settings or BridgeSettings()
        self.metrics = BridgeMetrics()
        self.fanout = Fanout(source, self.metrics)
        self.metrics.stuck_calls.set_function(lambda: len(source.stuck_calls()))
        self.instance = uuid.uuid4().hex[:12]  # tells clients a restarted bridge from the one they knew
        self.version = BRIDGE_VERSION
        self.api_version = API_VERSION
        self._started = time.monotonic()
        self._known: tuple[dt.date, frozenset[str]] | None = None
        self.last_status = self.status()

    async def start(self) -> None:
        await self.source.start(self.fanout)
        self.metrics.source_connected.set(1 if self.source.connected else 0)
        self._started = time.monotonic()

    async def stop(self) -> None:
        await self.source.stop()

    def pause(self) -> None:
        """Stop streaming to clients (quotes stay current); a replay also holds its clock."""
        self.source.pause()
        self.fanout.set_paused(True)

    def resume(self) -> None:
        self.source.resume()
        self.fanout.set_paused(False)

    @property
    def paused(self) -> bool:
        return self.fanout.paused

    def status(self) -> BridgeStatus:
        source = self.source
        now = time.monotonic()
        return BridgeStatus(
            source=source.name,
            source_connected=source.connected,
            qmt_connected=source.connected if source.is_qmt else None,
            paused=self.fanout.paused,
            clients=self.fanout.clients,
            subscribed_symbols=self.fanout.subscribed_symbols,
            ticks_per_s=round(self.metrics.tick_rate.rate(), 1),
            reconnects=source.reconnects,
            uptime_s=round(time.monotonic() - self._started, 3),
            stuck_calls=tuple((c.lane, c.call, round(now - c.since, 1)) for c in source.stuck_calls()),
        )

    def refresh_status(self) -> BridgeStatus:
        """Recompute `last_status` (on the loop thread) for readers on other threads."""
        self.last_status = self.status()
        return self.last_status

    async def known_symbols(self) -> frozenset[str] | None:
        """The source's instrument list (read once a day), or None while the source cannot give it."""
        today = dt.date.today()
        if self._known is None or self._known[0] != today:
            try:
                listed = await self.source.instruments()
            except Exception as exc:  # noqa: BLE001 (QMT down: subscriptions wait for it rather than fail)
                log.info("instrument list unavailable (%s); subscriptions are not checked against it", exc)
                return None
            self._known = (today, frozenset(i.symbol for i in listed))
        return self._known[1]

    def token_streams(self, token: str) -> int:
        return sum(1 for sub in self.fanout.subscribers() if getattr(sub, "token", "") == token)

    def token_symbols(self, token: str) -> int:
        return sum(
            len(self.fanout.symbols_of(sub)) for sub in self.fanout.subscribers() if getattr(sub, "token", "") == token
        )

    async def quotes(self, symbols: Sequence[str]) -> dict[str, tuple[Tick, int]]:
        """Latest tick and its ingest number per symbol: the stream's cache first, then the source."""
        found = self.fanout.latest(symbols)
        rest = [s for s in symbols if s not in found]
        if rest:
            found.update({s: (t, 0) for s, t in (await self.source.quotes(rest)).items()})
        return found
