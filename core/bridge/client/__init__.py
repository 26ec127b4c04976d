"""The bridge client QDesk uses: typed HTTP calls (market data and trading) and a self-healing quote stream."""

from core.bridge.client.client import BridgeClient
from core.bridge.client.credentials import delete_token, load_token, save_token
from core.bridge.client.events import (
    BridgeAuthError,
    BridgeError,
    BridgeRateLimited,
    BridgeRequestError,
    BridgeUnavailable,
    BridgeUnreachable,
    ClientEvent,
    ConnectionState,
    ConnectionStateChanged,
    GapDetected,
    QuotesReconciled,
    StreamErrorReported,
    StreamStatusChanged,
    TicksReceived,
    TradingRequestRefused,
)
from core.bridge.client.http import BridgeHttp

__all__ = [
    "BridgeAuthError",
    "BridgeClient",
    "BridgeHttp",
    "BridgeError",
    "BridgeRateLimited",
    "BridgeRequestError",
    "BridgeUnavailable",
    "BridgeUnreachable",
    "ClientEvent",
    "ConnectionState",
    "ConnectionStateChanged",
    "GapDetected",
    "QuotesReconciled",
    "StreamErrorReported",
    "StreamStatusChanged",
    "TicksReceived",
    "TradingRequestRefused",
    "delete_token",
    "load_token",
    "save_token",
]
