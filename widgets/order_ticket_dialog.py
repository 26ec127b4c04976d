"""Order ticket: symbol, side, type, price, quantity; shows limits, lot rule, sellable, costs and the verdict."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDoubleSpinBox,
    QGridLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from core.domain.orders import OrderType, Side


def _tr(text: str) -> str:
    return QCoreApplication.translate("OrderTicket", text)


@dataclass(frozen=True, slots=True)
class TicketDraft:
    """What the user has typed, as the ticket hands it to the presenter."""

    symbol: str
    side: Side
    type: OrderType
    price: float
    qty: int


@dataclass(frozen=True, slots=True)
class TicketInfo:
    """What the presenter knows about the draft: quote, limits, rules, cost and the pre-trade verdict."""

    name: str = ""
    last: float = 0.0
    limit_up: float = 0.0
    limit_down: float = 0.0
    lot: str = ""
    sellable: int = 0
    total: int = 0
    cost: str = ""
    ok: bool = False
    refusals: tuple[str, ...] = field(default_factory=tuple)


class OrderTicket(QWidget):
    """Each edit asks for a preview; Send is enabled only when the last verdict passed."""

    sig_preview_requested = Signal(object)  # TicketDraft
    sig_send_requested = Signal(object)  # TicketDraft

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.symbol_edit = QLineEdit(self)
        self.symbol_edit.setPlaceholderText(_tr("Code, e.g. 600000.SH"))
        self.side_box = QComboBox(self)
        self.side_box.addItem(_tr("Buy"), Side.BUY)
        self.side_box.addItem(_tr("Sell"), Side.SELL)
        self.type_box = QComboBox(self)
        self.type_box.addItem(_tr("Limit"), OrderType.LIMIT)
        self.type_box.addItem(_tr("Market (protected)"), OrderType.MARKET)
        self.price_spin = QDoubleSpinBox(self)
        self.price_spin.setDecimals(2)
        self.price_spin.setRange(0.0, 100_000.0)
        self.price_spin.setSingleStep(0.01)
        self.qty_spin = QSpinBox(self)
        self.qty_spin.setRange(0, 100_000_000)
        self.qty_spin.setSingleStep(100)
        self.qty_spin.setValue(100)
        self.quote_label = QLabel(self)
        self.limits_label = QLabel(self)
        self.rules_label = QLabel(self)
        self.cost_label = QLabel(self)
        self.verdict_label = QLabel(self)
        self.verdict_label.setWordWrap(True)
        self.verdict_label.setObjectName("orderTicketVerdict")
        self.send_button = QPushButton(_tr("Send order"), self)
        self.send_button.setEnabled(False)
        # Two label/field pairs a row, Send beside the quantity: the whole ticket, button included, fits a
        # laptop-height bottom dock without scrolling.
        grid = QGridLayout()
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        for row, pairs in enumerate(
            (
                ((_tr("Symbol"), self.symbol_edit), (_tr("Side"), self.side_box)),
                ((_tr("Type"), self.type_box), (_tr("Price"), self.price_spin)),
                ((_tr("Quantity"), self.qty_spin),),
                ((_tr("Quote"), self.quote_label), (_tr("Limits"), self.limits_label)),
                ((_tr("Rules"), self.rules_label),),
                ((_tr("Cost"), self.cost_label),),
            )
        ):
            for column, (label, widget) in enumerate(pairs):
                grid.addWidget(QLabel(label, self), row, column * 2)
                grid.addWidget(widget, row, column * 2 + 1, 1, 1 if len(pairs) > 1 or row == 2 else 3)
        grid.addWidget(self.send_button, 2, 2, 1, 2)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addLayout(grid)
        layout.addWidget(self.verdict_label)
        layout.addStretch(1)
        self.symbol_edit.editingFinished.connect(self._on_field_changed)
        self.side_box.currentIndexChanged.connect(self._on_field_changed)
        self.type_box.currentIndexChanged.connect(self._on_field_changed)
        self.price_spin.valueChanged.connect(self._on_field_changed)
        self.qty_spin.valueChanged.connect(self._on_field_changed)
        self.send_button.clicked.connect(self._on_send_button_clicked)

    def draft(self) -> TicketDraft:
        # Qt hands enum data back as plain strings: rebuild the enums.
        return TicketDraft(
            self.symbol_edit.text().strip(),
            Side(self.side_box.currentData()),
            OrderType(self.type_box.currentData()),
            round(self.price_spin.value(), 2),
            self.qty_spin.value(),
        )

    def prefill(self, symbol: str, side: Side = Side.BUY, price: float = 0.0, qty: int = 0) -> None:
        """Fill the ticket from another panel (quote board, chart, signals, rebalance list)."""
        for w in (self.symbol_edit, self.side_box, self.price_spin, self.qty_spin):
            w.blockSignals(True)
        self.symbol_edit.setText(symbol)
        self.side_box.setCurrentIndex(0 if side is Side.BUY else 1)
        if price > 0:
            self.price_spin.setValue(price)
        if qty > 0:
            self.qty_spin.setValue(qty)
        for w in (self.symbol_edit, self.side_box, self.price_spin, self.qty_spin):
            w.blockSignals(False)
        self._on_field_changed()

    def set_info(self, info: TicketInfo) -> None:
        self.quote_label.setText(f"{info.name} {info.last:.2f}".strip() if info.last else info.name)
        self.limits_label.setText(
            _tr("up {up:.2f} / down {down:.2f}").format(up=info.limit_up, down=info.limit_down)
            if info.limit_up
            else _tr("no price limit known")
        )
        self.rules_label.setText(
            _tr("{lot}; sellable {sellable} of {total}").format(lot=info.lot, sellable=info.sellable, total=info.total)
        )
        self.cost_label.setText(info.cost)
        if info.ok:
            self.verdict_label.setText(_tr("Pre-trade checks passed"))
        else:
            self.verdict_label.setText("\n".join(info.refusals) or _tr("Enter a symbol, price and quantity"))
        self.verdict_label.setProperty("ok", info.ok)
        self.send_button.setEnabled(info.ok)

    def _on_field_changed(self, *_: object) -> None:
        # Until the presenter has checked this draft, the last verdict belongs to another one: clear it.
        self.send_button.setEnabled(False)
        self.verdict_label.setText("")
        self.verdict_label.setProperty("ok", False)
        if self.draft().symbol:
            self.sig_preview_requested.emit(self.draft())

    def _on_send_button_clicked(self) -> None:
        self.send_button.setEnabled(False)
        self.sig_send_requested.emit(self.draft())


class OrderTicketDialog(QDialog):
    """The ticket in its own window, for orders started from other panels."""

    def __init__(self, ticket: OrderTicket, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_tr("Order ticket"))
        self.ticket = ticket
        layout = QVBoxLayout(self)
        layout.addWidget(ticket)
