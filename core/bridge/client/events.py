"""What a bridge client reports: its connection state, errors it raises, and events for its listeners."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from core.domain.ticks import Tick


class ConnectionState(str, Enum):
    IDLE = "idle"  # created, stream not started
    CONNECTING = "connecting"  # first attempt
    CONNECTED = "connected"
    RECONNECTING = "reconnecting"  # lost or refused for now; retrying with backoff
    AUTH_FAILED = "auth_failed"  # the token was refused: no retries until a new token is set
    INCOMPATIBLE = "incompatible"  # the bridge speaks another API version: no retries
    CLOSED = "closed"

    @property
    def final(self) -> bool:
        """States the client does not leave on its own."""
        return self in (ConnectionState.AUTH_FAILED, ConnectionState.INCOMPATIBLE, ConnectionState.CLOSED)


class BridgeError(Exception):
    """A request the bridge did not serve; the message is fit to show the user.

    `status` is the HTTP status (None when no answer came), `code` the bridge's error code and
    `refusals` the pre-trade checks that failed (`{"rule", "reason"}` each), when it sent them.
    """

    def __init__(
        self, message: str, status: int | None = None, code: str = "error", refusals: list[dict[str, str]] | None = None
    ) -> None:
        super().__init__(message)
        self.message, self.status, self.code, self.refusals = message, status, code, refusals or []


class BridgeAuthError(BridgeError):
    """The bridge refused the token (or none is stored for it)."""


class BridgeRequestError(BridgeError):
    """The bridge rejected the request's input (4xx)."""


class TradingRequestRefused(BridgeRequestError):
    """The bridge refused a trading call: read-only token (403), not armed (409), a pre-trade check (422)."""


class BridgeRateLimited(BridgeError):
    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message, 429, "rate_limited")
        self.retry_after = retry_after


class BridgeUnavailable(BridgeError):
    """The bridge cannot be reached, or its data source or QMT is disconnected (502-504)."""


class BridgeUnreachable(BridgeUnavailable):
    """No answer came back: the request may or may not have reached the bridge, so its outcome is unknown."""


@dataclass(frozen=True, slots=True)
class ConnectionStateChanged:
    state: ConnectionState
    detail: str = ""


@dataclass(frozen=True, slots=True)
class TicksReceived:
    """Ticks for subscribed symbols. `server_time` is the bridge's receipt stamp (epoch seconds) and
    `received_at` this client's; `reconciled` marks ticks read from /v1/quotes to repair a gap."""

    ticks: tuple[Tick, ...]
    seq: int
    server_time: float
    received_at: float
    reconciled: bool = False


@dataclass(frozen=True, slots=True)
class GapDetected:
    """Frames `expected` .. `received - 1` never arrived (the bridge shed them for a slow reader)."""

    expected: int
    received: int


@dataclass(frozen=True, slots=True)
class QuotesReconciled:
    reason: str  # "subscribed", "gap", "resumed"
    symbols: int
    updated: int


@dataclass(frozen=True, slots=True)
class StreamStatusChanged:
    paused: bool
    source_connected: bool


@dataclass(frozen=True, slots=True)
class StreamErrorReported:
    code: str
    message: str


ClientEvent = (
    ConnectionStateChanged | TicksReceived | GapDetected | QuotesReconciled | StreamStatusChanged | StreamErrorReported
)
