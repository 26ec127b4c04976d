"""An order or command the bridge refuses before it reaches QMT, with the HTTP answer it becomes."""

from __future__ import annotations

from core.trading.risk import Verdict


class TradingRefused(Exception):
    """An order or command refused before reaching the broker: HTTP status, code and one-sentence reason."""

    def __init__(self, status: int, code: str, message: str, verdict: Verdict | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.verdict = status, code, message, verdict


LINK_DOWN = "the link to QMT is down; reconnecting, try again shortly"
