"""SignalsPanel: the latest model scores of a run and the rebalance list drawn from them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QMessageBox,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("SignalsPanel", text)


@dataclass(frozen=True, slots=True)
class ScoreRow:
    rank: int
    symbol: str
    name: str
    score: float
    target: bool  # held after the rebalance


@dataclass(frozen=True, slots=True)
class OrderRow:
    side: str  # "buy" | "sell"
    symbol: str
    name: str
    shares: int
    price: float
    value: float
    fees: float
    band: str  # next session's limit-down … limit-up, or "" for none


class SignalsPanel(QWidget):
    """Pick a run and TopkDropout's topk / n_drop, plan, look at scores and orders, send them to the orders dock."""

    sig_plan_requested = Signal(str, int, int, int, float)  # run id, topk, n_drop, hold_thresh, risk_degree
    sig_send_requested = Signal()
    sig_refresh_requested = Signal()
    sig_export_requested = Signal(str)  # a .csv path for the planned orders
    sig_cancel_routine_requested = Signal()  # stop the daily routine running now

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.run_box = QComboBox(self)
        self.run_box.setMinimumContentsLength(28)
        self.topk = QSpinBox(self)
        self.topk.setRange(1, 500)
        self.topk.setValue(50)
        self.n_drop = QSpinBox(self)
        self.n_drop.setRange(0, 100)
        self.n_drop.setValue(5)
        self.hold_thresh = QSpinBox(self)
        self.hold_thresh.setRange(0, 250)
        self.hold_thresh.setValue(1)
        self.risk_degree = QDoubleSpinBox(self)
        self.risk_degree.setRange(0.05, 1.0)
        self.risk_degree.setSingleStep(0.05)
        self.risk_degree.setValue(0.95)
        self.refresh_button = QPushButton(_tr("Refresh runs"), self)
        self.plan_button = QPushButton(_tr("Plan rebalance"), self)
        self.send_button = QPushButton(_tr("Send to orders…"), self)
        self.send_button.setEnabled(False)
        self.export_button = QPushButton(_tr("Export plan…"), self)
        self.export_button.setEnabled(False)
        self.summary = QLabel(self)  # signal day vs store day, open orders, value and cash after
        self.summary.setWordWrap(True)
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.routine_label = QLabel(self)  # the daily schedule's state: idle, its step now, or how it ended
        self.routine_label.hide()
        self.routine_cancel_button = QPushButton(_tr("Cancel routine"), self)
        self.routine_cancel_button.hide()
        self.scores = self._table([_tr("Rank"), _tr("Code"), _tr("Name"), _tr("Score"), _tr("Target")])
        self.orders = self._table(
            [
                _tr("Side"),
                _tr("Code"),
                _tr("Name"),
                _tr("Shares"),
                _tr("Price"),
                _tr("Value"),
                _tr("Fees"),
                _tr("Limit band"),
            ]
        )

        controls = QHBoxLayout()
        controls.addWidget(QLabel(_tr("Run"), self))
        controls.addWidget(self.run_box, 1)
        controls.addWidget(self.refresh_button)
        controls.addWidget(QLabel(_tr("Top k"), self))
        controls.addWidget(self.topk)
        controls.addWidget(QLabel(_tr("Drop"), self))
        controls.addWidget(self.n_drop)
        controls.addWidget(QLabel(_tr("Hold days"), self))
        controls.addWidget(self.hold_thresh)
        controls.addWidget(QLabel(_tr("Invest"), self))
        controls.addWidget(self.risk_degree)
        controls.addWidget(self.plan_button)
        controls.addWidget(self.send_button)
        controls.addWidget(self.export_button)
        split = QSplitter(self)
        split.addWidget(self.scores)
        split.addWidget(self.orders)
        layout = QVBoxLayout(self)
        layout.addLayout(controls)
        layout.addWidget(self.summary)
        layout.addWidget(self.message)
        routine_row = QHBoxLayout()
        routine_row.addWidget(self.routine_label, 1)
        routine_row.addWidget(self.routine_cancel_button)
        layout.addLayout(routine_row)
        layout.addWidget(split, 1)

        self.plan_button.clicked.connect(self._on_plan_button_clicked)
        self.send_button.clicked.connect(self.sig_send_requested.emit)
        self.refresh_button.clicked.connect(self.sig_refresh_requested.emit)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.routine_cancel_button.clicked.connect(self.sig_cancel_routine_requested.emit)

    def _table(self, headers: Sequence[str]) -> QTableWidget:
        table = QTableWidget(0, len(headers), self)
        table.setHorizontalHeaderLabels(list(headers))
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().setVisible(False)
        return table

    # -- view-state ---------------------------------------------------------------------------
    def set_runs(self, runs: Sequence[tuple[str, str]]) -> None:
        """(run id, label) pairs, newest first; the current choice is kept when still there."""
        current = self.run_box.currentData()
        self.run_box.clear()
        for run_id, label in runs:
            self.run_box.addItem(label, run_id)
        index = self.run_box.findData(current)
        self.run_box.setCurrentIndex(index if index >= 0 else 0)
        self.plan_button.setEnabled(bool(runs))
        if not runs:
            self.show_message(_tr("No trained runs yet: train a model in the Training dock first."))

    def set_busy(self, busy: bool) -> None:
        self.plan_button.setEnabled(not busy and self.run_box.count() > 0)
        if busy:
            self.send_button.setEnabled(False)
            self.export_button.setEnabled(False)

    def show_plan(
        self, day: str, scores: Sequence[ScoreRow], orders: Sequence[OrderRow], note: str, warning: bool = False
    ) -> None:
        self._fill(
            self.scores, [(str(r.rank), r.symbol, r.name, f"{r.score:.4f}", "✓" if r.target else "") for r in scores]
        )
        self._fill(
            self.orders,
            [
                (
                    _tr("Buy") if o.side == "buy" else _tr("Sell"),
                    o.symbol,
                    o.name,
                    f"{o.shares:,}",
                    f"{o.price:.2f}",
                    f"{o.value:,.0f}",
                    f"{o.fees:.2f}",
                    o.band,
                )
                for o in orders
            ],
        )
        self.send_button.setEnabled(bool(orders))
        self.export_button.setEnabled(bool(orders))
        self.show_message(
            _tr("Signals of {day}: {n} order(s) for the next session. {note}")
            .format(day=day, n=len(orders), note=note)
            .strip(),
            error=warning,
        )

    def set_routine(self, text: str, running: bool) -> None:
        """The daily routine's line: what it does now (with Cancel while it runs) or how it last ended."""
        self.routine_label.setText(text)
        self.routine_label.show()
        self.routine_cancel_button.setVisible(running)
        self.routine_cancel_button.setEnabled(running)

    def show_summary(self, text: str) -> None:
        self.summary.setText(text)

    def confirm_box(self, mode: str, lines: Sequence[str], session: str) -> QMessageBox:
        """The one question before sending: which account, every order; a live account defaults to No."""
        live = mode == "live"
        text = (
            _tr("Send {n} order(s) for {session} to the LIVE account? They go to the broker.")
            if live
            else _tr("Send {n} order(s) for {session} to the paper account?")
        ).format(n=len(lines), session=session)
        box = QMessageBox(QMessageBox.Icon.Warning if live else QMessageBox.Icon.Question, _tr("Send plan"), text)
        box.setInformativeText("\n".join(lines[:30]) + ("\n…" if len(lines) > 30 else ""))
        box.setDetailedText("\n".join(lines))
        box.setStandardButtons(QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.setDefaultButton(QMessageBox.StandardButton.No if live else QMessageBox.StandardButton.Yes)
        box.setParent(self, box.windowFlags())
        return box

    def confirm_send(self, mode: str, lines: Sequence[str], session: str) -> bool:
        return self.confirm_box(mode, lines, session).exec() == QMessageBox.StandardButton.Yes

    def show_message(self, text: str, error: bool = False) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #c0392b" if error else "")

    @staticmethod
    def _fill(table: QTableWidget, rows: Sequence[Sequence[str]]) -> None:
        table.setRowCount(len(rows))
        for i, row in enumerate(rows):
            for j, text in enumerate(row):
                table.setItem(i, j, QTableWidgetItem(text))
        table.resizeColumnsToContents()

    def _on_plan_button_clicked(self) -> None:
        run_id = self.run_box.currentData()
        if run_id:
            self.sig_plan_requested.emit(
                str(run_id), self.topk.value(), self.n_drop.value(), self.hold_thresh.value(), self.risk_degree.value()
            )

    def _on_export_button_clicked(self) -> None:
        path, _ = QFileDialog.getSaveFileName(self, _tr("Export plan"), "plan.csv", _tr("CSV files (*.csv)"))
        if path:
            self.sig_export_requested.emit(path)
