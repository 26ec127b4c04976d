"""Order book (五档) and time and sales of one symbol; a click on a level asks for a ticket at that price."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QAbstractTableModel, QCoreApplication, QModelIndex, QPersistentModelIndex, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from core.domain.orders import Side
from core.domain.ticks import DOWN, UP, TapeTrade

LEVELS = 5
_LOT = 100.0  # terminals count book and trade volume in 手 (lots of 100 shares)
_RED, _GREEN, _GREY = "#e0403a", "#1aa260", "#8a8a8a"
_ROOT = QModelIndex()


def _tr(text: str) -> str:
    return QCoreApplication.translate("OrderBook", text)


@dataclass(frozen=True, slots=True)
class BookView:
    """What the panel shows: the symbol's quote, five levels a side (best first), limits and the trades."""

    symbol: str = ""
    name: str = ""
    last: float = 0.0
    pre_close: float = 0.0
    bids: tuple[tuple[float, float], ...] = ()  # (price, shares), best first
    asks: tuple[tuple[float, float], ...] = ()
    limit_up: float = 0.0
    limit_down: float = 0.0
    trades: Sequence[TapeTrade] = field(default_factory=tuple)  # newest first


def _item(text: str, align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignRight) -> QTableWidgetItem:
    item = QTableWidgetItem(text)
    item.setTextAlignment(align | Qt.AlignmentFlag.AlignVCenter)
    return item


def _set(
    table: QTableWidget,
    row: int,
    column: int,
    text: str,
    colour: QColor | None = None,
    bold: bool = False,
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignRight,
) -> None:
    """Update a cell in place: items are made once, a new item per cell and tick costs far more than its text."""
    item = table.item(row, column)
    if item is None:
        item = _item(text, align)
        table.setItem(row, column, item)
    elif item.text() != text:
        item.setText(text)
    if colour is not None and item.foreground().color() != colour:
        item.setForeground(QBrush(colour))
    if item.font().bold() != bold:
        font = QFont(item.font())
        font.setBold(bold)
        item.setFont(font)


def _table(rows: int, headers: Sequence[str], parent: QWidget) -> QTableWidget:
    table = QTableWidget(rows, len(headers), parent)
    table.setHorizontalHeaderLabels(list(headers))
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
    table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
    table.verticalHeader().setVisible(False)
    table.verticalHeader().setDefaultSectionSize(20)
    table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
    table.setShowGrid(False)
    return table


class TradesModel(QAbstractTableModel):
    """Time and sales as a model: a new tape is one reset, and the view paints only the rows it shows."""

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self._trades: Sequence[TapeTrade] = ()
        self._headers = (_tr("Time"), _tr("Price"), _tr("Lots"), "")
        self.pre_close = 0.0
        self.red_up = True

    def set_trades(self, trades: Sequence[TapeTrade], pre_close: float, red_up: bool) -> None:
        self.beginResetModel()
        self._trades, self.pre_close, self.red_up = trades, pre_close, red_up
        self.endResetModel()

    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:  # noqa: N802 (Qt override)
        return 0 if parent.isValid() else len(self._trades)

    def columnCount(self, parent: QModelIndex | QPersistentModelIndex = _ROOT) -> int:  # noqa: N802 (Qt override)
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = 0) -> object:  # noqa: N802
        if orientation is Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = 0) -> object:
        if not index.isValid():
            return None
        trade, column = self._trades[index.row()], index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            arrow = {UP: "↑", DOWN: "↓"}.get(trade.direction, "·")
            return (trade.time.strftime("%H:%M:%S"), f"{trade.price:.2f}", f"{trade.volume / _LOT:,.0f}", arrow)[column]
        if role == Qt.ItemDataRole.TextAlignmentRole:
            side = Qt.AlignmentFlag.AlignLeft if column == 0 else Qt.AlignmentFlag.AlignRight
            return side | Qt.AlignmentFlag.AlignVCenter
        if role == Qt.ItemDataRole.ForegroundRole and column:
            if column == 3:
                up = trade.direction == UP
                return QBrush(
                    QColor(_GREY if trade.direction not in (UP, DOWN) else (_RED if up == self.red_up else _GREEN))
                )
            if self.pre_close and abs(trade.price - self.pre_close) > 1e-9:
                return QBrush(QColor(_RED if (trade.price > self.pre_close) == self.red_up else _GREEN))
        return None


class OrderBookPanel(QWidget):
    """Asks 5..1 above bids 1..5; a click on an ask asks for a buy at its price, on a bid for a sell."""

    sig_ticket_requested = Signal(str, float)  # Side value, price (0: the ticket keeps its own)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._view = BookView()
        self._red_up = True
        self._quote_colour = ""
        self.title_label = QLabel(self)
        bold = QFont(self.title_label.font())
        bold.setBold(True)
        self.title_label.setFont(bold)
        self.quote_label = QLabel(self)
        self.limits_label = QLabel(self)
        self.limits_label.setObjectName("orderBookLimits")
        self.book_table = _table(2 * LEVELS, (_tr("Level"), _tr("Price"), _tr("Lots")), self)
        self.book_table.setToolTip(_tr("Click a price to open a ticket at it: an ask buys, a bid sells"))
        self.buy_button = QPushButton(_tr("Buy"), self)
        self.buy_button.setToolTip(_tr("Ticket to buy at the best ask"))
        self.sell_button = QPushButton(_tr("Sell"), self)
        self.sell_button.setToolTip(_tr("Ticket to sell at the best bid"))
        self.trades = TradesModel(self)
        self.trades_table = QTableView(self)
        self.trades_table.setModel(self.trades)
        self.trades_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.trades_table.setSelectionMode(QAbstractItemView.SelectionMode.NoSelection)
        self.trades_table.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.trades_table.verticalHeader().setVisible(False)
        self.trades_table.verticalHeader().setDefaultSectionSize(20)
        self.trades_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.trades_table.setShowGrid(False)
        # Narrow enough to sit beside the chart on a 1280-pixel screen: the label and arrow columns take
        # only what they need, price and lots share the rest.
        for header, column in (
            (self.book_table.horizontalHeader(), 0),
            (self.trades_table.horizontalHeader(), 0),
            (self.trades_table.horizontalHeader(), 1),
            (self.trades_table.horizontalHeader(), 3),
        ):
            header.setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
        for row in range(2 * LEVELS):
            self.book_table.setItem(row, 0, _item(self._level_label(row), Qt.AlignmentFlag.AlignLeft))
        # Ask 1 and bid 1 meet in the middle of the table, as in every terminal.
        self.book_table.setStyleSheet("QTableWidget::item { padding: 0 4px; }")
        self.buy_button.setObjectName("orderBookBuy")
        self.sell_button.setObjectName("orderBookSell")
        buttons = QHBoxLayout()
        buttons.addWidget(self.buy_button)
        buttons.addWidget(self.sell_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title_label)
        layout.addWidget(self.quote_label)
        layout.addWidget(self.limits_label)
        layout.addWidget(self.book_table, 0)
        layout.addLayout(buttons)
        layout.addWidget(QLabel(_tr("Time and sales"), self))
        layout.addWidget(self.trades_table, 1)
        self.book_table.setMinimumHeight(2 * LEVELS * 20 + self.book_table.horizontalHeader().sizeHint().height() + 4)
        self.book_table.cellClicked.connect(self._on_book_table_cell_clicked)
        self.buy_button.clicked.connect(self._on_buy_button_clicked)
        self.sell_button.clicked.connect(self._on_sell_button_clicked)
        self.set_red_up(True)

    @staticmethod
    def _level_label(row: int) -> str:
        if row < LEVELS:
            return _tr("Ask {n}").format(n=LEVELS - row)
        return _tr("Bid {n}").format(n=row - LEVELS + 1)

    def set_red_up(self, red_up: bool) -> None:
        self._red_up = red_up
        buy, sell = (_RED, _GREEN) if red_up else (_GREEN, _RED)
        for button, colour in ((self.buy_button, buy), (self.sell_button, sell)):
            button.setStyleSheet(f"QPushButton {{ color: {colour}; font-weight: bold; }}")
        self.set_book(self._view)

    def _colour(self, price: float) -> QColor:
        ref = self._view.pre_close
        if not ref or not price or abs(price - ref) < 1e-9:
            return QColor(self.palette().text().color())
        up = price > ref
        return QColor(_RED if up == self._red_up else _GREEN)

    def level(self, row: int) -> tuple[float, float]:
        """(price, shares) of a book row: rows 0-4 are asks 5..1, rows 5-9 bids 1..5; (0, 0) when empty."""
        side, index = (self._view.asks, LEVELS - 1 - row) if row < LEVELS else (self._view.bids, row - LEVELS)
        return side[index] if index < len(side) else (0.0, 0.0)

    def set_book(self, view: BookView) -> None:
        self._view = view
        self.title_label.setText(f"{view.name} {view.symbol}".strip() or _tr("No symbol"))
        if view.last and view.pre_close:
            change = view.last - view.pre_close
            self.quote_label.setText(f"{view.last:.2f}   {change:+.2f}   {change / view.pre_close:+.2%}")
        else:
            self.quote_label.setText(f"{view.last:.2f}" if view.last else "—")
        colour = self._colour(view.last).name()
        if colour != self._quote_colour:  # a style sheet set on every tick would restyle the label each time
            self._quote_colour = colour
            self.quote_label.setStyleSheet(f"color: {colour};")
        self._show_limits(view)
        for row in range(2 * LEVELS):
            price, shares = self.level(row)
            mark = self._limit_mark(price)
            text = (f"{mark} {price:.2f}" if mark else f"{price:.2f}") if price > 0 else "—"
            _set(self.book_table, row, 1, text, self._colour(price), bold=bool(mark))
            _set(self.book_table, row, 2, f"{shares / _LOT:,.0f}" if shares > 0 else "")
        self.buy_button.setEnabled(bool(view.symbol))
        self.sell_button.setEnabled(bool(view.symbol))
        self._show_trades(view.trades)

    def _limit_mark(self, price: float) -> str:
        if price > 0 and self._view.limit_up and abs(price - self._view.limit_up) < 1e-6:
            return _tr("UL")
        if price > 0 and self._view.limit_down and abs(price - self._view.limit_down) < 1e-6:
            return _tr("DL")
        return ""

    def _show_limits(self, view: BookView) -> None:
        if not view.limit_up:
            self.limits_label.setText(_tr("Limits unknown"))
            return
        text = _tr("Limit up {up:.2f} / down {down:.2f}").format(up=view.limit_up, down=view.limit_down)
        if view.last and view.last >= view.limit_up - 1e-9:
            text += "  " + _tr("At limit up")
        elif view.last and view.limit_down and view.last <= view.limit_down + 1e-9:
            text += "  " + _tr("At limit down")
        self.limits_label.setText(text)

    def _show_trades(self, trades: Sequence[TapeTrade]) -> None:
        self.trades.set_trades(trades, self._view.pre_close, self._red_up)

    def trade_text(self, row: int, column: int) -> str:
        """The text shown in a cell of time and sales (row 0: the newest trade)."""
        return str(self.trades.data(self.trades.index(row, column), Qt.ItemDataRole.DisplayRole) or "")

    def _on_book_table_cell_clicked(self, row: int, _column: int) -> None:
        price, _ = self.level(row)
        if price > 0 and self._view.symbol:
            # Taking an ask is a buy at that price; hitting a bid is a sell.
            self.sig_ticket_requested.emit((Side.BUY if row < LEVELS else Side.SELL).value, price)

    def _on_buy_button_clicked(self) -> None:
        asks = self._view.asks
        self.sig_ticket_requested.emit(Side.BUY.value, asks[0][0] if asks and asks[0][0] > 0 else self._view.last)

    def _on_sell_button_clicked(self) -> None:
        bids = self._view.bids
        self.sig_ticket_requested.emit(Side.SELL.value, bids[0][0] if bids and bids[0][0] > 0 else self._view.last)
