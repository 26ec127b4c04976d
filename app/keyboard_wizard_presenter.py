"""KeyboardWizardPresenter: 键盘精灵 searches over the store's instruments; Enter charts the one chosen.

Typed codes of the terminals' own (21 buy, 23 sell) come first in the list and run their command instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from PySide6.QtCore import QObject

from core.market.symbol_search import SymbolIndex
from core.storage.market_store import MarketStore
from widgets.chart_panel import ChartPanel
from widgets.keyboard_wizard import KeyboardWizard, KeyboardWizardPopup


def store_entries(store_path: Path, names: dict[str, str]) -> list[tuple[str, str]]:
    """Every symbol the store holds bars or an instrument record for, with its name where one is known."""
    store = MarketStore.open(store_path)
    try:
        symbols = {s.symbol for s in store.series()}
        known = {r["symbol"]: r.get("name") or "" for r in store.instruments()}
    finally:
        store.close()
    merged = {symbol: names.get(symbol) or known.get(symbol, "") for symbol in symbols | set(known) | set(names)}
    return sorted(merged.items())


class KeyboardWizardPresenter(QObject):
    """Builds the search index on the first key typed (the window opens without it) and answers the popup."""

    def __init__(
        self, panel: ChartPanel, entries: Callable[[], Iterable[tuple[str, str]]], open_symbol: Callable[[str], object]
    ) -> None:
        super().__init__(panel)
        self.popup = KeyboardWizardPopup(panel)
        self.wizard = KeyboardWizard(self.popup, panel)
        self._entries = entries
        self._index: SymbolIndex | None = None
        self._open_symbol = open_symbol
        self._commands: dict[str, tuple[str, Callable[[], object]]] = {}
        self.popup.sig_search_requested.connect(self._on_popup_sig_search_requested)
        self.popup.sig_open_requested.connect(self._on_popup_sig_open_requested)

    def set_commands(self, commands: dict[str, tuple[str, Callable[[], object]]]) -> None:
        """Codes typed in the popup that run a command (code -> (title, action)), e.g. "21" opens a buy ticket."""
        self._commands = dict(commands)

    def forget_index(self) -> None:
        """Names changed (an instrument list arrived): the next key typed builds the index again."""
        self._index = None

    def search(self, text: str) -> list[tuple[str, str, str]]:
        if self._index is None:
            self._index = SymbolIndex(self._entries())
        command = self._commands.get(text.strip())
        found = [(e.symbol, e.name, e.initials) for e in self._index.search(text)]
        return ([(text.strip(), command[0], "")] if command is not None else []) + found

    def _on_popup_sig_search_requested(self, text: str) -> None:
        self.popup.show_results(self.search(text))

    def _on_popup_sig_open_requested(self, symbol: str) -> None:
        command = self._commands.get(symbol)
        if command is not None:
            command[1]()
        else:
            self._open_symbol(symbol)
