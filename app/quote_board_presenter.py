"""QuoteBoardPresenter: quote hub -> quote board model; watchlist intents -> WatchlistStore."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

from PySide6.QtCore import QCoreApplication, QObject

from app.relay import EventRelay
from core.domain.symbols import SymbolFormatError
from core.domain.ticks import Tick
from core.quotes.hub import QuoteHub
from core.quotes.volume_baseline import VolumeBaseline
from core.quotes.watchlists import WatchlistError, WatchlistStore
from widgets.quote_board_panel import QuoteBoardPanel


class QuoteBoardPresenter(QObject):
    """Feeds the board from the hub through the GUI relay and keeps watchlists in sync with the view."""

    def __init__(
        self,
        panel: QuoteBoardPanel,
        hub: QuoteHub,
        watchlists: WatchlistStore,
        names: dict[str, str],
        open_chart: Callable[[str], None] | None = None,
        subscribe: Callable[[Iterable[str]], None] | None = None,
        float_shares: Mapping[str, float] | None = None,
    ) -> None:
        super().__init__(panel)
        self._panel = panel
        self._hub = hub
        self._watchlists = watchlists
        self._names = names
        self._float_shares = float_shares if float_shares is not None else {}  # the base of turnover %
        self._open_chart = open_chart
        self._subscribe = subscribe  # asks the live source for the shown symbols (a bridge; demo: nothing)
        self.relay = EventRelay("ticks", self)
        self.relay.subscribe(panel.model.apply_ticks)
        self._baseline = VolumeBaseline()  # 量比's reference, learnt from the sessions the feed goes through
        self.relay.subscribe(self._on_relay_ticks)
        self._remove_listener = hub.add_listener(self.relay.core_handler())
        panel.destroyed.connect(lambda *_: self._remove_listener())
        panel.sig_watchlist_select_requested.connect(self._on_panel_sig_watchlist_select_requested)
        panel.sig_watchlist_create_requested.connect(self._on_panel_sig_watchlist_create_requested)
        panel.sig_add_symbol_requested.connect(self._on_panel_sig_add_symbol_requested)
        panel.sig_remove_symbol_requested.connect(self._on_panel_sig_remove_symbol_requested)
        panel.sig_move_symbol_requested.connect(self._on_panel_sig_move_symbol_requested)
        panel.sig_open_chart_requested.connect(self._on_panel_sig_open_chart_requested)
        self._show_current()

    def _on_relay_ticks(self, ticks: Sequence[Tick]) -> None:
        averages = self._baseline.update(ticks)
        if averages:
            self._panel.model.set_reference(avg_volume=averages)

    def refresh_names(self) -> None:
        """Show the session's names and float shares again: the store learnt new ones (the bridge's instrument
        list)."""
        self._show_current()

    def set_open_chart(self, open_chart: Callable[[str], None]) -> None:
        self._open_chart = open_chart

    def _show_current(self) -> None:
        self._panel.set_watchlists(self._watchlists.names(), self._watchlists.current)
        symbols = self._watchlists.symbols()
        if self._subscribe is not None:
            self._subscribe(symbols)
        self._panel.model.set_reference(float_shares=self._float_shares)
        self._panel.model.set_symbols(symbols, self._names)
        self._panel.model.apply_ticks(self._hub.snapshot(symbols))  # no blank rows until the next tick

    def _on_panel_sig_watchlist_select_requested(self, name: str) -> None:
        if name != self._watchlists.current:
            self._watchlists.select(name)
            self._show_current()

    def _on_panel_sig_watchlist_create_requested(self, name: str) -> None:
        try:
            self._watchlists.create(name)
        except WatchlistError as exc:
            self._panel.show_message(str(exc))
            return
        self._panel.show_message("")
        self._show_current()

    def _on_panel_sig_add_symbol_requested(self, name: str, text: str) -> None:
        try:
            self._watchlists.add(name, text)
        except (SymbolFormatError, WatchlistError) as exc:
            self._panel.show_message(QCoreApplication.translate("QuoteBoard", "Not added: {reason}").format(reason=exc))
            return
        self._panel.show_message("")
        if name == self._watchlists.current:
            self._show_current()

    def _on_panel_sig_remove_symbol_requested(self, name: str, symbol: str) -> None:
        self._watchlists.remove(name, symbol)
        self._show_current()

    def _on_panel_sig_move_symbol_requested(self, name: str, symbol: str, delta: int) -> None:
        self._watchlists.move(name, symbol, delta)
        self._show_current()

    def _on_panel_sig_open_chart_requested(self, symbol: str) -> None:
        if self._open_chart is not None:
            self._open_chart(symbol)
