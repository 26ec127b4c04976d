"""Putting live trading on a bridge: xttrader from the broker's xtquant, the audit log, the trade scopes."""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

from core.bridge.sources.base import SourceUnavailable
from core.bridge.trading.router import attach_trading
from core.bridge.trading.scopes import TradeScopes
from core.bridge.trading.service import BridgeTrading
from core.trading.audit import AUDIT_FILE, AuditLog
from core.trading.risk import RiskEngine, RiskLimits


def load_xttrader() -> tuple[Any, Any]:
    """(XtQuantTrader, StockAccount) from xtquant, or SourceUnavailable saying in one sentence why not."""
    try:
        from xtquant.xttrader import XtQuantTrader
        from xtquant.xttype import StockAccount
    except Exception:  # noqa: BLE001 (ImportError off Windows; DLL errors on a broken install)
        raise SourceUnavailable(
            "live trading needs Windows with the broker's QMT terminal and its xtquant "
            "package; paper trading works anywhere"
        ) from None
    return XtQuantTrader, StockAccount


def qmt_trading(
    service: Any,
    data_dir: Path,
    qmt_userdata: Path,
    account_id: str,
    limits: RiskLimits | None = None,
    make_trader: Callable[[], Any] | None = None,
    account: Any | None = None,
) -> BridgeTrading:
    """Attach trading on QMT account `account_id` to a BridgeService; disarmed until an authenticated arm.

    `qmt_userdata` is QMT's `userdata_mini` folder. Every connection (reconnects too) uses a new
    session id, as xttrader requires a different one for each connection to the same terminal.
    """
    if make_trader is None or account is None:
        trader_cls, account_cls = load_xttrader()
        make_trader = make_trader or (lambda: trader_cls(str(qmt_userdata), random.randint(100_000, 999_999)))
        account = account or account_cls(account_id)
    trading = BridgeTrading(make_trader, account, AuditLog(data_dir / AUDIT_FILE), RiskEngine(limits or RiskLimits()))
    attach_trading(service, trading, TradeScopes.in_dir(data_dir))
    return trading
