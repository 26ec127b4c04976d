"""InstrumentInfoPresenter: F10 for the current symbol — the store's facts of it, formatted into the dialog."""

from __future__ import annotations

import math
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QWidget

from core.domain.symbols import SymbolFormatError, parse_symbol
from core.market.instrument_info import InstrumentFacts, instrument_facts
from core.quotes.hub import QuoteHub
from core.storage.market_store import MarketStore
from widgets.instrument_info_dialog import InstrumentInfoDialog
from widgets.quote_board_model import format_big
from widgets.tr import QT_TRANSLATE_NOOP

_BOARDS = {
    "main": QT_TRANSLATE_NOOP("InstrumentInfo", "Main board"),
    "chinext": QT_TRANSLATE_NOOP("InstrumentInfo", "ChiNext"),
    "star": QT_TRANSLATE_NOOP("InstrumentInfo", "STAR Market"),
    "bse": QT_TRANSLATE_NOOP("InstrumentInfo", "Beijing Stock Exchange"),
    "b": QT_TRANSLATE_NOOP("InstrumentInfo", "B share"),
    "fund": QT_TRANSLATE_NOOP("InstrumentInfo", "Fund"),
    "index": QT_TRANSLATE_NOOP("InstrumentInfo", "Index"),
    "other": QT_TRANSLATE_NOOP("InstrumentInfo", "Other"),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("InstrumentInfo", text)


class InstrumentInfoPresenter(QObject):
    """Opens the F10 dialog for the symbol `current()` names (the chart's), with the live quote when there is one."""

    def __init__(
        self,
        parent: QWidget,
        store: MarketStore,
        hub: QuoteHub,
        current: Callable[[], str],
        chinese_units: bool = False,
    ) -> None:
        super().__init__(parent)
        self._parent = parent
        self._store = store
        self._hub = hub
        self._current = current
        self._chinese_units = chinese_units
        self.dialog: InstrumentInfoDialog | None = None

    def open(self, symbol: str | None = None) -> InstrumentInfoDialog | None:
        """Show the dialog for `symbol` (default: the current one); None when there is no symbol to show."""
        try:
            text = str(parse_symbol(symbol or self._current()))
        except SymbolFormatError:
            return None
        facts = instrument_facts(self._store, text, self._hub.latest(text))
        if self.dialog is None:
            self.dialog = InstrumentInfoDialog(self._parent)
        self.dialog.set_info(f"{facts.name} {facts.symbol}".strip(), self.rows(facts), _history(facts))
        self.dialog.show()
        self.dialog.raise_()
        return self.dialog

    def rows(self, facts: InstrumentFacts) -> list[tuple[str, str]]:
        unknown = _tr("unknown")

        def price(value: float) -> str:
            return f"{value:.2f}" if not math.isnan(value) else "—"

        def big(value: float) -> str:
            return format_big(value, self._chinese_units) if not math.isnan(value) else "—"

        change = (
            f"{facts.change:+.2f} ({facts.change_pct:+.2f}%)"
            if not math.isnan(facts.change) and not math.isnan(facts.change_pct)
            else "—"
        )
        return [
            (_tr("Name"), facts.name or unknown),
            (_tr("Code"), facts.symbol),
            (_tr("Board"), _tr(_BOARDS.get(facts.board.value, facts.board.value))),
            (_tr("Listed"), facts.list_date or unknown),
            (_tr("Delisted"), facts.delist_date or "—"),
            (_tr("Risk warning"), _tr("ST / *ST") if facts.risk_warning else _tr("none")),
            (_tr("As of"), facts.as_of or "—"),
            (_tr("Last"), price(facts.last)),
            (_tr("Change"), change),
            (_tr("Volume"), big(facts.volume)),
            (_tr("Turnover"), big(facts.amount)),
            (_tr("Turnover rate"), f"{facts.turnover_pct:.2f}%" if not math.isnan(facts.turnover_pct) else "—"),
            (_tr("52-week high"), price(facts.high_52w)),
            (_tr("52-week low"), price(facts.low_52w)),
            (_tr("Total shares"), big(facts.total_shares)),
            (_tr("Float shares"), big(facts.float_shares)),
            (_tr("Market cap"), big(facts.market_cap)),
            (_tr("Float market cap"), big(facts.float_market_cap)),
        ]


def _history(facts: InstrumentFacts) -> list[tuple[str, str, str, str]]:
    # Newest first, as the F10 pages of terminals list 曾用名.
    return [
        (p.start or _tr("before records"), p.end or _tr("now"), p.name, "ST" if p.risk_warning else "")
        for p in reversed(facts.names)
    ]
