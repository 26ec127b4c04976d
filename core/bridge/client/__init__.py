"""The bridge client QDesk uses: typed HTTP calls and a quote stream that reconnects and repairs gaps."""

from core.bridge.client.client import BridgeClient
from core.bridge.client.credentials import delete_token, load_token, save_token
from core.bridge.client.events import (
    BridgeAuthError,
    BridgeError,
    BridgeRateLimited,
    BridgeRequestError,
    BridgeUnavailable,
    ClientEvent,
    ConnectionState,
    ConnectionStateChanged,
    GapDetected,
    QuotesReconciled,
    StreamErrorReported,
    StreamStatusChanged,
    TicksReceived,
)

__all__ = [
    "BridgeAuthError",
    "BridgeClient",
    "BridgeError",
    "BridgeRateLimited",
    "BridgeRequestError",
    "BridgeUnavailable",
    "ClientEvent",
    "ConnectionState",
    "ConnectionStateChanged",
    "GapDetected",
    "QuotesReconciled",
    "StreamErrorReported",
    "StreamStatusChanged",
    "TicksReceived",
    "delete_token",
    "load_token",
    "save_token",
]
