"""QuoteTableModel: the quote board's rows, fed every tick, repainted at most ~30 times a second."""

from __future__ import annotations

import datetime as dt
from collections import deque
from collections.abc import Mapping, Sequence
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
FLASH_FRAMES = 15  # a changed last price flashes for about half a second of flush-timer frames
_SESSION_MINUTES = 240.0
_BEIJING = dt.timezone(dt.timedelta(hours=8))  # China keeps no daylight saving time
SORT_ROLE = Qt.ItemDataRole.UserRole + 1
_Index = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True, slots=True)
class Column:
    key: str
    title: str
    numeric: bool = True
    signed: bool = False  # coloured by the sign of the day's change


# The columns of a terminal's quote list, in its order. `limit` and `status` start hidden: limit-up and
# limit-down rows are marked on the price itself, and the header's menu shows any column again.
COLUMNS: tuple[Column, ...] = (
    Column("code", QT_TRANSLATE_NOOP("QuoteBoard", "Code"), numeric=False),
    Column("name", QT_TRANSLATE_NOOP("QuoteBoard", "Name"), numeric=False),
    Column("last", QT_TRANSLATE_NOOP("QuoteBoard", "Last"), signed=True),
    Column("change", QT_TRANSLATE_NOOP("QuoteBoard", "Change"), signed=True),
    Column("change_pct", QT_TRANSLATE_NOOP("QuoteBoard", "Change %"), signed=True),
    Column("open", QT_TRANSLATE_NOOP("QuoteBoard", "Open"), signed=True),
    Column("high", QT_TRANSLATE_NOOP("QuoteBoard", "High"), signed=True),
    Column("low", QT_TRANSLATE_NOOP("QuoteBoard", "Low"), signed=True),
    Column("pre_close", QT_TRANSLATE_NOOP("QuoteBoard", "Pre-close")),
    Column("volume", QT_TRANSLATE_NOOP("QuoteBoard", "Volume")),
    Column("amount", QT_TRANSLATE_NOOP("QuoteBoard", "Amount")),
    Column("turnover", QT_TRANSLATE_NOOP("QuoteBoard", "Turnover %")),
    Column("volume_ratio", QT_TRANSLATE_NOOP("QuoteBoard", "Vol ratio")),
    Column("bid1", QT_TRANSLATE_NOOP("QuoteBoard", "Bid"), signed=True),
    Column("ask1", QT_TRANSLATE_NOOP("QuoteBoard", "Ask"), signed=True),
    Column("amplitude", QT_TRANSLATE_NOOP("QuoteBoard", "Amplitude %")),
    Column("limit", QT_TRANSLATE_NOOP("QuoteBoard", "Limit"), numeric=False),
    Column("status", QT_TRANSLATE_NOOP("QuoteBoard", "Status"), numeric=False),
)
HIDDEN_BY_DEFAULT = ("limit", "status")
_PRICE_KEYS = frozenset({"last", "open", "high", "low", "pre_close", "bid1", "ask1"})
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
        self._flash: dict[str, tuple[int, int]] = {}  # symbol -> (+1 up / -1 down, frame it started at)
        # Flash starts in frame order, so expiry pops from the left instead of scanning every flash.
        self._flash_order: deque[tuple[int, str]] = deque()
        self._frame = 0  # flush-timer frames so far: the clock flashes are timed by
        self._avg_volume: dict[str, float] = {}  # average daily volume of the last days, for 量比
        self._float_shares: dict[str, float] = {}  # tradable shares, for turnover %
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
        latest, row_of, dirty, frame = self._ticks, self._row_of, self._dirty, self._frame
        flash, order = self._flash, self._flash_order
        for tick in ticks:
            symbol = tick.symbol
            before = latest.get(symbol)
            latest[symbol] = tick
            row = row_of.get(symbol)
            if row is not None:
                dirty.add(row)
                if before is not None and tick.last != before.last and tick.last > 0:
                    flash[symbol] = (1 if tick.last > before.last else -1, frame)
                    order.append((frame, symbol))
        if self._dirty and not self._timer.isActive():
            self._timer.start()

    def set_reference(
        self, avg_volume: Mapping[str, float] | None = None, float_shares: Mapping[str, float] | None = None
    ) -> None:
        """Per-symbol references for 量比 (average daily volume of recent days) and turnover (float shares)."""
        self._avg_volume.update(avg_volume or {})
        self._float_shares.update(float_shares or {})

    def flashing(self, symbol: str) -> int:
        """+1 / -1 while `symbol`'s last price is flashing after a rise / fall, else 0."""
        flash = self._flash.get(symbol)
        return flash[0] if flash is not None and self._frame - flash[1] <= FLASH_FRAMES else 0

    def flush(self) -> None:
        """Emit the pending repaint now (the timer calls this)."""
        self._frame += 1
        order = self._flash_order
        while order and self._frame - order[0][0] > FLASH_FRAMES:
            # A row whose flash just ran out repaints once more, without it (unless it flashed again since).
            started, symbol = order.popleft()
            flash = self._flash.get(symbol)
            if flash is not None and flash[1] == started:
                del self._flash[symbol]
                row = self._row_of.get(symbol)
                if row is not None:
                    self._dirty.add(row)
        if not self._dirty:
            if not self._flash:
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
            values = self._sort_values(key)
            # Rows without a value ("—") go last in either direction, as terminals keep them.
            present: dict[str, str | float] = {s: v for s, v in values.items() if v is not None}
            missing = [s for s in self._symbols if values[s] is None]
            ranked = sorted(present, key=present.__getitem__, reverse=self._sort_order == Qt.SortOrder.DescendingOrder)
            ranked += sorted(missing, key=self._watchlist_rank.__getitem__)
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
        if role == Qt.ItemDataRole.BackgroundRole and tick is not None and column.key in ("last", "change_pct"):
            return self._background(symbol, column.key, tick)
        if role == Qt.ItemDataRole.ToolTipRole and tick is not None and (tick.at_limit_up or tick.at_limit_down):
            return _tr("limit up") if tick.at_limit_up else _tr("limit down")
        if role == Qt.ItemDataRole.TextAlignmentRole:
            align = Qt.AlignmentFlag.AlignRight if column.numeric else Qt.AlignmentFlag.AlignLeft
            return int(align | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _display(self, symbol: str, key: str, tick: Tick | None) -> str:
        if key == "code":
            return symbol
        if key == "name":
            return self._names.get(symbol, "")
        if key == "limit":
            if tick is None:
                return ""
            return _tr("limit up") if tick.at_limit_up else _tr("limit down") if tick.at_limit_down else ""
        if key == "status":
            return _tr("suspended") if tick is not None and tick.suspended else ""
        value = self._sort_value(symbol, key, tick)
        if not isinstance(value, float) or value != value:
            return "—"
        if key in ("volume", "amount"):
            return format_big(value, self.chinese_units)
        if key in ("change_pct", "amplitude"):
            return f"{value:+.2f}%" if key == "change_pct" else f"{value:.2f}%"
        if key == "change":
            return f"{value:+.2f}"
        if key == "turnover":
            return f"{value:.2f}%"
        return f"{value:.2f}"

    def _sort_value(self, symbol: str, key: str, tick: Tick | None) -> str | float | None:
        """The cell's value; None where there is none to show ("—"), which sorts last."""
        if key in ("code", "name"):
            return symbol if key == "code" else self._names.get(symbol, "")
        if tick is None:
            return None
        if key == "limit":
            return 1 if tick.at_limit_up else -1 if tick.at_limit_down else 0
        if key == "status":
            return int(tick.suspended)
        if key in ("change", "change_pct", "amplitude") and not (tick.pre_close > 0 and tick.last > 0):
            return None
        if key == "amplitude":
            return (tick.high - tick.low) / tick.pre_close * 100.0 if tick.high > 0 else None
        if key == "turnover":
            shares = self._float_shares.get(symbol, 0.0)
            return tick.volume / shares * 100.0 if shares > 0 else None
        if key == "volume_ratio":
            return self._volume_ratio(symbol, tick)
        value = float(getattr(tick, key))
        if key in _PRICE_KEYS:
            return value if value > 0 else None  # a zero price is "no quote", not a price
        return value

    def _sort_values(self, key: str) -> dict[str, str | float | None]:
        """Every row's value of column `key` in one pass (the board re-ranks 5,500 rows each second)."""
        ticks = self._ticks
        if key in ("change", "change_pct"):
            # The common sort of a quote board, read straight off the ticks.
            out: dict[str, str | float | None] = {}
            for symbol in self._symbols:
                tick = ticks.get(symbol)
                ok = tick is not None and tick.pre_close > 0 and tick.last > 0
                out[symbol] = (tick.change_pct if key == "change_pct" else tick.change) if ok else None  # type: ignore[union-attr]
            return out
        return {s: self._sort_value(s, key, ticks.get(s)) for s in self._symbols}

    def _volume_ratio(self, symbol: str, tick: Tick) -> float | None:
        # 量比: volume per minute traded so far today over the recent days' volume per minute.
        average = self._avg_volume.get(symbol, 0.0)
        minutes = _minutes_traded(tick)
        if average <= 0 or minutes <= 0:
            return None
        return tick.volume / minutes / (average / _SESSION_MINUTES)

    def _background(self, symbol: str, key: str, tick: Tick) -> QBrush | None:
        up = QColor("#e0403a") if self._red_up else QColor("#1aa260")
        down = QColor("#1aa260") if self._red_up else QColor("#e0403a")
        if tick.at_limit_up or tick.at_limit_down:
            colour = QColor(up if tick.at_limit_up else down)
            colour.setAlpha(70)  # a standing tint marks the limit; text colour stays readable
            return QBrush(colour)
        flash = self.flashing(symbol) if key == "last" else 0
        if flash:
            colour = QColor(up if flash > 0 else down)
            colour.setAlpha(110)
            return QBrush(colour)
        return None

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


def _minutes_traded(tick: Tick) -> float:
    """Minutes of continuous trading before `tick` (Beijing wall clock): 0 before 09:30, 240 after 15:00."""
    moment = tick.time.astimezone(_BEIJING) if tick.time.tzinfo is not None else tick.time
    clock = moment.hour * 60 + moment.minute + moment.second / 60.0
    morning = min(max(clock - (9 * 60 + 30), 0.0), 120.0)
    afternoon = min(max(clock - 13 * 60, 0.0), 120.0)
    return morning + afternoon
