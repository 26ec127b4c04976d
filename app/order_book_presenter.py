"""OrderBookPresenter: the current symbol's ticks -> five levels and time and sales; a clicked price -> a ticket."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from itertools import islice

from PySide6.QtCore import QObject

from app.relay import EventRelay
from core.domain.orders import Side
from core.domain.symbols import SymbolFormatError, parse_symbol
from core.domain.ticks import Tick
from core.quotes.hub import QuoteHub
from core.quotes.tape import TradeTape
from widgets.order_book_panel import LEVELS, BookView, OrderBookPanel

Limits = Callable[[str, dt.date, Tick], "tuple[float, float] | None"]
OpenTicket = Callable[[str, Side, float], None]
SHOWN_TRADES = 100


class OrderBookPresenter(QObject):
    """Follows one symbol (the chart's): its snapshots fill the book and the tape, through the GUI relay."""

    def __init__(
        self,
        panel: OrderBookPanel,
        hub: QuoteHub,
        names: dict[str, str],
        open_ticket: OpenTicket,
        limits: Limits | None = None,
        subscribe: Callable[[Iterable[str]], None] | None = None,
    ) -> None:
        super().__init__(panel)
        self._panel = panel
        self._hub = hub
        self._names = names
        self._open_ticket = open_ticket
        self._limits = limits  # the rule book's limits: the feed's when known, else by board, ST and listing
        self._subscribe = subscribe
        self._symbol = ""
        self._tape: TradeTape | None = None
        self.relay = EventRelay("order_book", self)
        self.relay.subscribe(self._on_relay_ticks)
        remove = hub.add_listener(self.relay.core_handler())
        panel.destroyed.connect(lambda *_: remove())
        panel.sig_ticket_requested.connect(self._on_panel_sig_ticket_requested)

    @property
    def symbol(self) -> str:
        return self._symbol

    def set_symbol(self, text: str) -> None:
        """Show `text`'s book; its tape starts from the latest snapshot the hub holds."""
        try:
            symbol = str(parse_symbol(text))
        except SymbolFormatError:
            return
        if symbol == self._symbol:
            return
        self._symbol = symbol
        self._tape = TradeTape(symbol)
        if self._subscribe is not None:
            self._subscribe([symbol])
        latest = self._hub.latest(symbol)
        if latest is not None:
            self._tape.update(latest)
        self._show(latest)

    def _on_relay_ticks(self, ticks: Sequence[Tick]) -> None:
        mine = [t for t in ticks if t.symbol == self._symbol]
        if not mine or self._tape is None:
            return
        for tick in mine:
            self._tape.update(tick)
        self._show(mine[-1])

    def _show(self, tick: Tick | None) -> None:
        name = self._names.get(self._symbol, "")
        if tick is None:
            self._panel.set_book(BookView(self._symbol, name))
            return
        up, down = tick.limit_up, tick.limit_down
        if not up and self._limits is not None:
            known = self._limits(tick.symbol, tick.time.date(), tick)
            up, down = known if known is not None else (0.0, 0.0)
        trades = tuple(islice(self._tape.trades, SHOWN_TRADES)) if self._tape is not None else ()
        self._panel.set_book(
            BookView(
                self._symbol,
                name,
                tick.last,
                tick.pre_close,
                _levels(tick.bid_prices, tick.bid_volumes),
                _levels(tick.ask_prices, tick.ask_volumes),
                up,
                down,
                trades,
            )
        )

    def _on_panel_sig_ticket_requested(self, side: str, price: float) -> None:
        if self._symbol:
            self._open_ticket(self._symbol, Side(side), round(price, 3))


def _levels(prices: Sequence[float], volumes: Sequence[float]) -> tuple[tuple[float, float], ...]:
    return tuple((p, v) for p, v in islice(zip(prices, volumes, strict=False), LEVELS))
