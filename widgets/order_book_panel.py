"""Order book (五档) and time and sales of one symbol; a click on a level asks for a ticket at that price."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QBrush, QColor, QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
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


class OrderBookPanel(QWidget):
    """Asks 5..1 above bids 1..5; a click on an ask asks for a buy at its price, on a bid for a sell."""

    sig_ticket_requested = Signal(str, float)  # Side value, price (0: the ticket keeps its own)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._view = BookView()
        self._red_up = True
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
        self.trades_table = _table(0, (_tr("Time"), _tr("Price"), _tr("Lots"), ""), self)
        # Narrow enough to sit beside the chart on a 1280-pixel screen: the label and arrow columns take
        # only what they need, price and lots share the rest.
        for table, column in ((self.book_table, 0), (self.trades_table, 0), (self.trades_table, 3)):
            table.horizontalHeader().setSectionResizeMode(column, QHeaderView.ResizeMode.ResizeToContents)
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
        self.quote_label.setStyleSheet(f"color: {self._colour(view.last).name()};")
        self._show_limits(view)
        for row in range(2 * LEVELS):
            price, shares = self.level(row)
            price_item = _item(f"{price:.2f}" if price > 0 else "—")
            price_item.setForeground(QBrush(self._colour(price)))
            mark = self._limit_mark(price)
            if mark:
                price_item.setText(f"{mark} {price:.2f}")
                font = QFont(price_item.font())
                font.setBold(True)
                price_item.setFont(font)
            self.book_table.setItem(row, 1, price_item)
            self.book_table.setItem(row, 2, _item(f"{shares / _LOT:,.0f}" if shares > 0 else ""))
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
        self.trades_table.setRowCount(len(trades))
        for row, trade in enumerate(trades):
            arrow, colour = {UP: ("↑", _RED), DOWN: ("↓", _GREEN)}.get(trade.direction, ("·", _GREY))
            if trade.direction in (UP, DOWN) and not self._red_up:
                colour = _GREEN if colour == _RED else _RED
            cells = (trade.time.strftime("%H:%M:%S"), f"{trade.price:.2f}", f"{trade.volume / _LOT:,.0f}", arrow)
            for column, text in enumerate(cells):
                item = _item(text, Qt.AlignmentFlag.AlignLeft if column == 0 else Qt.AlignmentFlag.AlignRight)
                if column:
                    item.setForeground(QBrush(QColor(colour) if column == 3 else self._colour(trade.price)))
                self.trades_table.setItem(row, column, item)

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
