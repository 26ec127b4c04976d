"""OrdersPanel: ticket, open and all orders, fills, positions, account, mode, arm state and the kill switch."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from core.domain.orders import Account, Fill, Order, OrderStatus, Position, QueuedOrder
from widgets.order_ticket_dialog import OrderTicket
from widgets.tr import QT_TRANSLATE_NOOP


def _tr(text: str) -> str:
    return QCoreApplication.translate("OrdersPanel", text)


_ORDER_HEADERS = (
    QT_TRANSLATE_NOOP("OrdersPanel", "Order id"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Symbol"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Side"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Price"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Quantity"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Filled"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Avg price"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Status"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Time"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Note"),
)
_FILL_HEADERS = (
    QT_TRANSLATE_NOOP("OrdersPanel", "Time"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Order id"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Symbol"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Side"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Quantity"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Price"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Fees"),
)
_POSITION_HEADERS = (
    QT_TRANSLATE_NOOP("OrdersPanel", "Symbol"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Total"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Sellable"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Cost"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Last"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Market value"),
    QT_TRANSLATE_NOOP("OrdersPanel", "P&L"),
)
_QUEUED_HEADERS = (
    QT_TRANSLATE_NOOP("OrdersPanel", "Session"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Order id"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Symbol"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Side"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Price"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Quantity"),
    QT_TRANSLATE_NOOP("OrdersPanel", "Status"),
)
_QUEUE_STATUS = {
    "queued": QT_TRANSLATE_NOOP("OrdersPanel", "queued"),
    "released": QT_TRANSLATE_NOOP("OrdersPanel", "released"),
    "cancelled": QT_TRANSLATE_NOOP("OrdersPanel", "cancelled"),
}
_LIMIT_HEADERS = (QT_TRANSLATE_NOOP("OrdersPanel", "Check"), QT_TRANSLATE_NOOP("OrdersPanel", "Limit"))
_STATUS = {
    OrderStatus.PENDING: QT_TRANSLATE_NOOP("OrdersPanel", "pending"),
    OrderStatus.SUBMITTED: QT_TRANSLATE_NOOP("OrdersPanel", "submitted"),
    OrderStatus.PARTIALLY_FILLED: QT_TRANSLATE_NOOP("OrdersPanel", "partially filled"),
    OrderStatus.FILLED: QT_TRANSLATE_NOOP("OrdersPanel", "filled"),
    OrderStatus.CANCELLED: QT_TRANSLATE_NOOP("OrdersPanel", "cancelled"),
    OrderStatus.REJECTED: QT_TRANSLATE_NOOP("OrdersPanel", "rejected"),
    OrderStatus.UNKNOWN: QT_TRANSLATE_NOOP("OrdersPanel", "unknown"),
}
_SIDES = {"buy": QT_TRANSLATE_NOOP("OrdersPanel", "Buy"), "sell": QT_TRANSLATE_NOOP("OrdersPanel", "Sell")}


def _table(headers: Sequence[str], parent: QWidget) -> QTableWidget:
    table = QTableWidget(0, len(headers), parent)
    table.setHorizontalHeaderLabels([_tr(h) for h in headers])
    table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    table.verticalHeader().setVisible(False)
    return table


def _fill_rows(table: QTableWidget, rows: Sequence[Sequence[str]]) -> None:
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            item = QTableWidgetItem(text)
            if c and (text[:1].isdigit() or text[:1] == "-"):
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            table.setItem(r, c, item)


class OrdersPanel(QWidget):
    sig_cancel_requested = Signal(str)  # client order id
    sig_cancel_all_requested = Signal()
    sig_kill_requested = Signal()
    sig_arm_requested = Signal()
    sig_cancel_queued_requested = Signal(str)  # queue id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ticket = OrderTicket(self)
        self.mode_label = QLabel(self)
        self.mode_label.setObjectName("tradingMode")
        self.armed_label = QLabel(self)
        self.account_label = QLabel(self)
        self.kill_button = QPushButton(_tr("Kill switch"), self)
        self.kill_button.setObjectName("killSwitch")
        self.kill_button.setToolTip(_tr("Cancel every open order and refuse new ones until re-armed"))
        self.kill_button.setStyleSheet(
            "QPushButton#killSwitch { background: #c62828; color: white; font-weight: bold; padding: 4px 12px; }"
        )
        self.arm_button = QPushButton(_tr("Arm"), self)
        self.open_table = _table(_ORDER_HEADERS, self)
        self.all_table = _table(_ORDER_HEADERS, self)
        self.fills_table = _table(_FILL_HEADERS, self)
        self.positions_table = _table(_POSITION_HEADERS, self)
        self.limits_table = _table(_LIMIT_HEADERS, self)
        self.queued_table = _table(_QUEUED_HEADERS, self)
        self.cancel_queued_button = QPushButton(_tr("Cancel selected"), self)
        self._queued_ids: list[str] = []
        self.cancel_button = QPushButton(_tr("Cancel selected"), self)
        self.cancel_all_button = QPushButton(_tr("Cancel all"), self)
        self.message_label = QLabel(self)
        self.message_label.setWordWrap(True)
        self._open_ids: list[str] = []

        top = QHBoxLayout()
        for w in (self.mode_label, self.armed_label, self.account_label):
            top.addWidget(w)
        top.addStretch(1)
        top.addWidget(self.arm_button)
        top.addWidget(self.kill_button)
        open_page = QWidget(self)
        open_layout = QVBoxLayout(open_page)
        open_layout.setContentsMargins(0, 0, 0, 0)
        open_layout.addWidget(self.open_table)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.cancel_all_button)
        open_layout.addLayout(buttons)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(open_page, _tr("Open orders"))
        queued_page = self.queued_page = QWidget(self)
        queued_layout = QVBoxLayout(queued_page)
        queued_layout.setContentsMargins(0, 0, 0, 0)
        queued_layout.addWidget(self.queued_table)
        queued_buttons = QHBoxLayout()
        queued_buttons.addStretch(1)
        queued_buttons.addWidget(self.cancel_queued_button)
        queued_layout.addLayout(queued_buttons)
        self.tabs.addTab(queued_page, _tr("Queued"))
        self.tabs.addTab(self.all_table, _tr("All orders"))
        self.tabs.addTab(self.fills_table, _tr("Fills"))
        self.tabs.addTab(self.positions_table, _tr("Positions"))
        self.tabs.addTab(self.limits_table, _tr("Risk limits"))
        splitter = QSplitter(Qt.Orientation.Horizontal, self)
        splitter.addWidget(self.ticket)
        splitter.addWidget(self.tabs)
        splitter.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.addLayout(top)
        layout.addWidget(splitter)
        layout.addWidget(self.message_label)
        self.kill_button.clicked.connect(self.sig_kill_requested)
        self.arm_button.clicked.connect(self.sig_arm_requested)
        self.cancel_all_button.clicked.connect(self.sig_cancel_all_requested)
        self.cancel_button.clicked.connect(self._on_cancel_button_clicked)
        self.cancel_queued_button.clicked.connect(self._on_cancel_queued_button_clicked)
        self.set_mode("paper", True)

    def set_mode(self, mode: str, armed: bool) -> None:
        self.mode_label.setText(_tr("LIVE account") if mode == "live" else _tr("Paper account"))
        self.mode_label.setProperty("live", mode == "live")
        self.armed_label.setText(_tr("armed") if armed else _tr("disarmed: orders are refused"))
        self.arm_button.setEnabled(not armed)

    def set_account(self, account: Account) -> None:
        self.account_label.setText(
            _tr("Cash {cash:,.2f} (frozen {frozen:,.2f}) · market value {value:,.2f} · equity {equity:,.2f}").format(
                cash=account.cash, frozen=account.frozen, value=account.market_value, equity=account.equity
            )
        )

    def set_orders(self, orders: Sequence[Order]) -> None:
        ordered = sorted(orders, key=lambda o: o.created, reverse=True)
        opened = [o for o in ordered if o.is_open]
        self._open_ids = [o.client_id for o in opened]
        _fill_rows(self.open_table, [self._order_row(o) for o in opened])
        _fill_rows(self.all_table, [self._order_row(o) for o in ordered])
        self.cancel_all_button.setEnabled(bool(opened))

    def set_fills(self, fills: Sequence[Fill]) -> None:
        rows = [
            (
                f.time.strftime("%Y-%m-%d %H:%M:%S"),
                f.client_id,
                f.symbol,
                _tr(_SIDES[f.side.value]),
                f"{f.qty:,}",
                f"{f.price:.2f}",
                f"{f.fees.total:,.2f}",
            )
            for f in reversed(fills)
        ]
        _fill_rows(self.fills_table, rows)

    def set_positions(self, positions: Sequence[Position]) -> None:
        rows = [
            (
                p.symbol,
                f"{p.total:,}",
                f"{p.sellable:,}",
                f"{p.cost:.3f}",
                f"{p.last:.2f}",
                f"{p.market_value:,.2f}",
                f"{p.pnl:,.2f}",
            )
            for p in positions
        ]
        _fill_rows(self.positions_table, rows)

    def set_queued(self, queued: Sequence[QueuedOrder]) -> None:
        """Orders kept for a coming session (预埋单), those still waiting first; only those can be cancelled."""
        ordered = sorted(queued, key=lambda q: (q.status != "queued", q.session, q.created_at))
        self._queued_ids = [q.queue_id for q in ordered]
        rows = [
            (
                q.session.isoformat(),
                q.request.client_id,
                q.request.symbol,
                _tr(_SIDES[q.request.side.value]),
                f"{q.request.price:.2f}",
                f"{q.request.qty:,}",
                _tr(_QUEUE_STATUS.get(q.status, q.status)),
            )
            for q in ordered
        ]
        _fill_rows(self.queued_table, rows)
        waiting = sum(1 for q in queued if q.status == "queued")
        self.cancel_queued_button.setEnabled(waiting > 0)
        index = self.tabs.indexOf(self.queued_page)
        self.tabs.setTabText(index, _tr("Queued ({n})").format(n=waiting) if waiting else _tr("Queued"))

    def confirm_release(self, lines: Sequence[str]) -> bool:
        """Live and disarmed at the open: ask whether to arm and send the queued orders (No is the default)."""
        box = QMessageBox(
            QMessageBox.Icon.Warning,
            _tr("Release queued orders"),
            _tr(
                "The session has opened and {n} queued orders are waiting, but trading is disarmed. "
                "Arm the live account and send them?"
            ).format(n=len(lines)),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setDefaultButton(QMessageBox.StandardButton.No)
        box.setDetailedText("\n".join(lines))
        return box.exec() == QMessageBox.StandardButton.Yes

    def set_limits(self, limits: Sequence[tuple[str, str]]) -> None:
        """The pre-trade checks' parameters, (label, value) as the presenter words them."""
        _fill_rows(self.limits_table, limits)

    def _order_row(self, o: Order) -> tuple[str, ...]:
        return (
            o.client_id,
            o.symbol,
            _tr(_SIDES[o.side.value]),
            f"{o.price:.2f}",
            f"{o.qty:,}",
            f"{o.filled_qty:,}",
            f"{o.avg_price:.2f}" if o.filled_qty else "",
            _tr(_STATUS[o.status]),
            o.created.strftime("%H:%M:%S"),
            o.reason,
        )

    def confirm_orders(self, lines: Sequence[str]) -> bool:
        """Ask before sending a list of orders (a rebalance): every order is shown. Tests replace this."""
        box = QMessageBox(
            QMessageBox.Icon.Question,
            _tr("Send orders"),
            _tr("Send these {n} orders?").format(n=len(lines)),
            QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No,
            self,
        )
        box.setInformativeText("\n".join(lines[:30]) + ("\n…" if len(lines) > 30 else ""))
        box.setDetailedText("\n".join(lines))
        return box.exec() == QMessageBox.StandardButton.Yes

    def show_message(self, text: str) -> None:
        """A one-line outcome under the tables (rebalance sent, orders refused)."""
        self.message_label.setText(text)

    def _on_cancel_queued_button_clicked(self) -> None:
        rows = sorted({i.row() for i in self.queued_table.selectedIndexes()})
        for row in rows:
            if row < len(self._queued_ids):
                self.sig_cancel_queued_requested.emit(self._queued_ids[row])

    def _on_cancel_button_clicked(self) -> None:
        rows = sorted({i.row() for i in self.open_table.selectedIndexes()})
        for row in rows:
            if row < len(self._open_ids):
                self.sig_cancel_requested.emit(self._open_ids[row])
