"""QuoteTableModel: the quote board's rows, fed every tick, repainted at most ~30 times a second."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
)
from PySide6.QtGui import QBrush, QColor

from core.domain.ticks import Tick
from widgets.tr import QT_TRANSLATE_NOOP

FLUSH_INTERVAL_MS = 33  # ~30 repaints per second at most, however fast ticks arrive
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    numeric: bool = True
    signed: bool = False  # coloured by the sign of the day's change


COLUMNS: tuple[Column, ...] = (
    Column("code", QT_TRANSLATE_NOOP("QuoteBoard", "Code"), numeric=False),
    Column("name", QT_TRANSLATE_NOOP("QuoteBoard", "Name"), numeric=False),
    Column("last", QT_TRANSLATE_NOOP("QuoteBoard", "Last"), signed=True),
    Column("change", QT_TRANSLATE_NOOP("QuoteBoard", "Change"), signed=True),
    Column("change_pct", QT_TRANSLATE_NOOP("QuoteBoard", "Change %"), signed=True),
    Column("volume", QT_TRANSLATE_NOOP("QuoteBoard", "Volume")),
    Column("amount", QT_TRANSLATE_NOOP("QuoteBoard", "Amount")),
    Column("bid1", QT_TRANSLATE_NOOP("QuoteBoard", "Bid"), signed=True),
    Column("ask1", QT_TRANSLATE_NOOP("QuoteBoard", "Ask"), signed=True),
    Column("high", QT_TRANSLATE_NOOP("QuoteBoard", "High"), signed=True),
    Column("low", QT_TRANSLATE_NOOP("QuoteBoard", "Low"), signed=True),
    Column("limit", QT_TRANSLATE_NOOP("QuoteBoard", "Limit"), numeric=False),
    Column("status", QT_TRANSLATE_NOOP("QuoteBoard", "Status"), numeric=False),
)
_KEYS = [c.key for c in COLUMNS]


def _tr(text: str) -> str:
    return QCoreApplication.translate("QuoteBoard", text)


def format_big(value: float, chinese_units: bool) -> str:
    """Volumes and amounts: 万 / 亿 (1e4 / 1e8) as Chinese terminals show them, else K / M / B."""
    steps = ((1e8, "亿"), (1e4, "万")) if chinese_units else ((1e9, "B"), (1e6, "M"), (1e3, "K"))
    for size, unit in steps:
        if abs(value) >= size:
            return f"{value / size:.2f}{unit}"
    return f"{value:.0f}"


class QuoteTableModel(QAbstractTableModel):
    """Rows are the symbols of the current watchlist; values come from the latest tick of each.

    `apply_ticks` only records values and marks rows dirty; a timer emits one `dataChanged` per
    flush covering the dirty rows, so a full-market feed costs a bounded number of repaints.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._symbols: list[str] = []
        self._row_of: dict[str, int] = {}
        self._names: dict[str, str] = {}
        self._ticks: dict[str, Tick] = {}
        self._dirty: set[int] = set()
        self._red_up = True
        self._watchlist_rank: dict[str, int] = {}
        self._sort_column = -1
        self._sort_order = Qt.SortOrder.AscendingOrder
        self.chinese_units = False
        self.ticks_received = 0
        self.flushes = 0
        self._timer = QTimer(self)
        self._timer.setInterval(FLUSH_INTERVAL_MS)
        self._timer.timeout.connect(self._on_timer_timeout)

    # -- feeding ----------------------------------------------------------------------------
    def set_symbols(self, symbols: Sequence[str], names: dict[str, str] | None = None) -> None:
        self.beginResetModel()
        self._symbols = list(dict.fromkeys(symbols))
        self._watchlist_rank = {s: i for i, s in enumerate(self._symbols)}
        self._row_of = {s: i for i, s in enumerate(self._symbols)}
        if names:
            self._names.update(names)
        self._dirty.clear()
        self.endResetModel()
        self.resort()

    def symbols(self) -> list[str]:
        return list(self._symbols)

    def apply_ticks(self, ticks: Sequence[Tick]) -> None:
        """Record ticks (any symbols); rows on the board repaint at the next flush."""
        self.ticks_received += len(ticks)
        for tick in ticks:
            self._ticks[tick.symbol] = tick
            row = self._row_of.get(tick.symbol)
            if row is not None:
                self._dirty.add(row)
        if self._dirty and not self._timer.isActive():
            self._timer.start()

    def flush(self) -> None:
        """Emit the pending repaint now (the timer calls this)."""
        if not self._dirty:
            self._timer.stop()
            return
        first, last = min(self._dirty), max(self._dirty)
        self._dirty.clear()
        self.flushes += 1
        self.dataChanged.emit(self.index(first, 0), self.index(last, len(COLUMNS) - 1))

    def _on_timer_timeout(self) -> None:
        self.flush()

    def set_red_up(self, red_up: bool) -> None:
        """A-share convention is red for up, green for down; some users prefer the opposite."""
        self._red_up = red_up
        if self._symbols:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._symbols) - 1, len(COLUMNS) - 1))

    # -- sorting ------------------------------------------------------------------------------
    def sort(self, column: int, order: Qt.SortOrder = Qt.SortOrder.AscendingOrder) -> None:
        """Sort rows by a column's value (-1: watchlist order). Called by the view's header.

        Done here in one pass over plain values: a QSortFilterProxyModel would call back into
        Python for every comparison, ~100k calls for a 5,500-row board.
        """
        self._sort_column, self._sort_order = column, order
        self.resort()

    def resort(self) -> None:
        """Re-apply the current sort to the latest values."""
        column = self._sort_column
        if not 0 <= column < len(COLUMNS):
            ranked = sorted(self._symbols, key=self._watchlist_rank.__getitem__)
        else:
            key = COLUMNS[column].key
            values = {s: self._sort_value(s, key, self._ticks.get(s)) for s in self._symbols}
            ranked = sorted(
                self._symbols, key=values.__getitem__, reverse=self._sort_order == Qt.SortOrder.DescendingOrder
            )
        if ranked == self._symbols:
            return
        self.layoutAboutToBeChanged.emit()
        persistent = self.persistentIndexList()
        held = [(self._symbols[i.row()], i.column()) for i in persistent]
        self._symbols = ranked
        self._row_of = {s: i for i, s in enumerate(ranked)}
        self.changePersistentIndexList(persistent, [self.index(self._row_of[s], c) for s, c in held])
        self.layoutChanged.emit()

    # -- Qt model interface -----------------------------------------------------------------
    def rowCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008 (Qt's signature)
        return 0 if parent.isValid() else len(self._symbols)

    def columnCount(self, parent: _Index = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return _tr(COLUMNS[section].title)
        return None

    def data(self, index: _Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        symbol = self._symbols[index.row()]
        column = COLUMNS[index.column()]
        tick = self._ticks.get(symbol)
        if role == Qt.ItemDataRole.DisplayRole:
            return self._display(symbol, column.key, tick)
        if role == SORT_ROLE:
            return self._sort_value(symbol, column.key, tick)
        if role == Qt.ItemDataRole.ForegroundRole and tick is not None:
            return self._colour(column, tick)
        if role == Qt.ItemDataRole.TextAlignmentRole:
            align = Qt.AlignmentFlag.AlignRight if column.numeric else Qt.AlignmentFlag.AlignLeft
            return int(align | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, symbol: str, key: str, tick: Tick | None) -> str:
        if key == "code":
            return symbol
        if key == "name":
            return self._names.get(symbol, "")
        if tick is None:
            return "—" if key not in ("limit", "status") else ""
        value = self._sort_value(symbol, key, tick)
        if key in ("volume", "amount"):
            return format_big(float(value), self.chinese_units)
        if key == "change_pct":
            return f"{value:+.2f}%"
        if key == "change":
            return f"{value:+.2f}"
        if key == "limit":
            return _tr("limit up") if tick.at_limit_up else _tr("limit down") if tick.at_limit_down else ""
        if key == "status":
            return _tr("suspended") if tick.suspended else ""
        return f"{value:.2f}" if value else "—"

    def _sort_value(self, symbol: str, key: str, tick: Tick | None) -> str | float:  # one column never mixes the two
        if key in ("code", "name"):
            return symbol if key == "code" else self._names.get(symbol, "")
        if tick is None:
            return float("-inf")
        if key == "limit":
            return 1 if tick.at_limit_up else -1 if tick.at_limit_down else 0
        if key == "status":
            return int(tick.suspended)
        return float(getattr(tick, key))

    def _colour(self, column: Column, tick: Tick) -> QBrush | None:
        if column.key == "limit":
            sign = 1 if tick.at_limit_up else -1 if tick.at_limit_down else 0
        elif column.signed:
            price = tick.last if column.key in ("last", "change", "change_pct") else float(getattr(tick, column.key))
            sign = (price > tick.pre_close) - (price < tick.pre_close) if price and tick.pre_close else 0
        else:
            return None
        if sign == 0:
            return None
        up = QColor("#e0403a") if self._red_up else QColor("#1aa260")
        down = QColor("#1aa260") if self._red_up else QColor("#e0403a")
        return QBrush(up if sign > 0 else down)
