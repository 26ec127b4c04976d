"""The bridge client QDesk uses: typed HTTP calls (market data and trading) and a self-healing quote stream.

The events load eagerly; the client, its HTTP layer and the keyring helpers load on first use, so a
session without a bridge (the demo, the monitor's idle collector) never imports httpx or websockets.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

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

if TYPE_CHECKING:
    from core.bridge.client.client import BridgeClient
    from core.bridge.client.credentials import delete_token, load_token, save_token
    from core.bridge.client.http import BridgeHttp

_LAZY = {
    "BridgeClient": "core.bridge.client.client",
    "BridgeHttp": "core.bridge.client.http",
    "delete_token": "core.bridge.client.credentials",
    "load_token": "core.bridge.client.credentials",
    "save_token": "core.bridge.client.credentials",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)


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
