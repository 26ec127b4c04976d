"""The paper account as the desktop and the CLI open it: its ledger, audit log, rule inputs and limits."""

from __future__ import annotations

import datetime as dt
import logging
from pathlib import Path
from typing import TYPE_CHECKING

from core.trading.audit import AUDIT_FILE, AuditLog
from core.trading.limits import LimitsError, limits_from_mapping
from core.trading.paper import PaperBroker
from core.trading.risk import RiskEngine, RiskLimits
from core.trading.rulebook import RuleBook
from core.trading.service import TradingService
from core.trading.store import TRADING_FILE, TradingStore

if TYPE_CHECKING:
    from core.quotes.hub import QuoteHub
    from core.settings import AppSettings

log = logging.getLogger(__name__)


def paper_service(
    folder: Path,
    hub: QuoteHub | None,
    replay: bool,
    limits: RiskLimits | None = None,
    rules: RuleBook | None = None,
    holidays: frozenset[dt.date] = frozenset(),
    actor: str = "desktop user",
) -> TradingService:
    """The paper account in `folder`; on a replay the broker's clock follows the replayed market."""
    broker = PaperBroker(
        TradingStore(folder / TRADING_FILE),
        rules=rules,
        quote=hub.latest if hub is not None else None,
        require_session=not replay,
        holidays=holidays,
    )
    if replay:
        broker.clock = broker.market_time
    audit = AuditLog(folder / AUDIT_FILE)
    # A kill switch (or a disarm) outlives a restart: the account comes back as the user left it.
    last = audit.last_of(("armed", "disarmed"))
    armed = last is None or last.action == "armed"
    if not armed:
        assert last is not None
        reason = last.data.get("reason", "")
        log.warning(
            "paper account starts disarmed (%s by %s at %s); arm it in the Orders dock", reason, last.actor, last.time
        )
    return TradingService(broker, RiskEngine(limits or RiskLimits()), audit, actor=actor, armed=armed)


def settings_limits(settings: AppSettings | None) -> RiskLimits:
    """The limits Settings → Orders set; a hand-edited bad value falls back to the defaults, logged."""
    try:
        return limits_from_mapping(settings.risk_limits if settings else {}, "settings")
    except LimitsError as exc:
        log.warning("risk limits in the settings are not usable, defaults apply: %s", exc)
        return RiskLimits()
