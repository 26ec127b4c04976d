"""BacktestPanel: the run form (source, strategy, dates), progress, equity and drawdown curves, metrics, trades."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QCoreApplication, QDate, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSpinBox,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from widgets.backtest_curves import BacktestCurves
from widgets.date_field import DateField
from widgets.tr import QT_TRANSLATE_NOOP


def _tr(text: str) -> str:
    return QCoreApplication.translate("BacktestPanel", text)


@dataclass(frozen=True)
class BacktestView:
    """A finished run as the panel draws it: x in epoch seconds, curves aligned with it, table rows as text."""

    title: str
    x: Sequence[float]
    equity: Sequence[float]
    benchmark: Sequence[float] | None
    drawdown: Sequence[float]
    metrics: Sequence[tuple[str, str]]
    trades: Sequence[tuple[str, ...]]
    notes: Sequence[str] = field(default_factory=tuple)
    excess: Sequence[float] | None = None  # cumulative excess return over the benchmark
    positions: Sequence[float] = field(default_factory=tuple)  # names held each day
    turnover: Sequence[float] = field(default_factory=tuple)  # one-way turnover each day


TRADE_HEADERS = (
    QT_TRANSLATE_NOOP("BacktestPanel", "Date"),
    QT_TRANSLATE_NOOP("BacktestPanel", "Symbol"),
    QT_TRANSLATE_NOOP("BacktestPanel", "Side"),
    QT_TRANSLATE_NOOP("BacktestPanel", "Shares"),
    QT_TRANSLATE_NOOP("BacktestPanel", "Price"),
    QT_TRANSLATE_NOOP("BacktestPanel", "Value"),
    QT_TRANSLATE_NOOP("BacktestPanel", "Fees"),
    QT_TRANSLATE_NOOP("BacktestPanel", "P&L"),
)


class BacktestPanel(QWidget):
    """Emits what the user asks for; the presenter runs it and hands back view-state."""

    sig_run_requested = Signal(dict)  # the form as a dict (see `form`)
    sig_cancel_requested = Signal()
    sig_export_requested = Signal(str)  # folder
    sig_trade_activated = Signal(str, str)  # symbol, date
    sig_run_chosen = Signal(str)  # run id

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.source = QComboBox(self)
        self.source.addItem(_tr("Signal file"), "file")
        self.source.addItem(_tr("Registered run"), "run")
        self.signal_file = QLineEdit(self)
        self.signal_file.setPlaceholderText(_tr("csv/parquet with datetime, instrument, score"))
        self.browse = QPushButton(_tr("Browse…"), self)
        self.browse.clicked.connect(self._on_browse_clicked)
        self.run_id = QComboBox(self)
        self.strategy = QComboBox(self)
        self.strategy.addItem(_tr("TopK dropout"), "topk")
        self.strategy.addItem(_tr("Threshold"), "threshold")
        self.topk = _spin(1, 1000, 50)
        self.n_drop = _spin(0, 1000, 5)
        self.max_positions = _spin(1, 1000, 20)
        self.buy_threshold = _double(-1e6, 1e6, 0.0, 4)
        self.stop_loss = _double(0.0, 1.0, 0.0, 3)
        self.take_profit = _double(0.0, 10.0, 0.0, 3)
        self.start = DateField(QDate(2017, 1, 3), self)
        self.end = DateField(QDate(2020, 12, 31), self)
        self.deal_price = QComboBox(self)
        for key, label in (("open", _tr("Open")), ("close", _tr("Close")), ("vwap", _tr("VWAP"))):
            self.deal_price.addItem(label, key)
        self.run_button = QPushButton(_tr("Run"), self)
        self.run_button.clicked.connect(self._on_run_clicked)
        self.cancel_button = QPushButton(_tr("Cancel"), self)
        self.cancel_button.clicked.connect(self.sig_cancel_requested)
        self.export_button = QPushButton(_tr("Export report…"), self)
        self.export_button.clicked.connect(self._on_export_clicked)
        self.export_button.setEnabled(False)
        self.progress = QProgressBar(self)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.metrics_table = QTableWidget(0, 2, self)
        self.metrics_table.setHorizontalHeaderLabels([_tr("Metric"), _tr("Value")])
        self.trades_table = QTableWidget(0, len(TRADE_HEADERS), self)
        self.trades_table.setHorizontalHeaderLabels([_tr(h) for h in TRADE_HEADERS])
        for table in (self.metrics_table, self.trades_table):
            table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
            table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
            table.verticalHeader().setVisible(False)
            table.horizontalHeader().setStretchLastSection(True)
        self.trades_table.cellDoubleClicked.connect(self._on_trades_table_cell_double_clicked)
        self.source.currentIndexChanged.connect(self._on_source_current_index_changed)
        self.run_id.currentTextChanged.connect(self.sig_run_chosen)
        self.strategy.currentIndexChanged.connect(self._on_strategy_current_index_changed)
        self._layout()
        self._on_source_current_index_changed()
        self._on_strategy_current_index_changed()
        self.show_busy(None)

    def _layout(self) -> None:
        form = QFormLayout()
        source_row = QHBoxLayout()
        source_row.addWidget(self.source)
        source_row.addWidget(self.signal_file, 1)
        source_row.addWidget(self.browse)
        source_row.addWidget(self.run_id, 1)
        form.addRow(_tr("Signals"), source_row)
        form.addRow(_tr("Strategy"), self.strategy)
        self._topk_rows = [(_tr("Top K"), self.topk), (_tr("Drop per day"), self.n_drop)]
        self._threshold_rows = [
            (_tr("Buy threshold"), self.buy_threshold),
            (_tr("Max positions"), self.max_positions),
            (_tr("Stop loss"), self.stop_loss),
            (_tr("Take profit"), self.take_profit),
        ]
        for label, widget in self._topk_rows + self._threshold_rows:
            form.addRow(label, widget)
        dates = QHBoxLayout()
        dates.addWidget(self.start)
        dates.addWidget(QLabel("→", self))
        dates.addWidget(self.end)
        form.addRow(_tr("Period"), dates)
        form.addRow(_tr("Deal price"), self.deal_price)
        self._form = form
        buttons = QHBoxLayout()
        for b in (self.run_button, self.cancel_button, self.export_button):
            buttons.addWidget(b)
        left = QWidget(self)
        left_layout = QVBoxLayout(left)
        left_layout.addLayout(form)
        left_layout.addLayout(buttons)
        left_layout.addWidget(self.progress)
        left_layout.addWidget(self.status)
        left_layout.addWidget(self.metrics_table, 1)
        tabs = QTabWidget(self)
        # Until a backtest has run, the tab explains itself instead of drawing four empty plots.
        self.curves_stack = QStackedWidget(self)
        self.empty_label = QLabel(_tr("Run a backtest to see its equity, drawdown and turnover here."), self)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.curves_stack.addWidget(self.empty_label)
        self._curves: BacktestCurves | None = None
        tabs.addTab(self.curves_stack, _tr("Curves"))
        tabs.addTab(self.trades_table, _tr("Trades"))
        self.tabs = tabs
        split = QSplitter(self)
        split.addWidget(left)
        split.addWidget(tabs)
        split.setStretchFactor(1, 3)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(split)

    # -- the form -----------------------------------------------------------------------------
    def form(self) -> dict[str, Any]:
        stop, take = self.stop_loss.value(), self.take_profit.value()
        return {
            "source": self.source.currentData(),
            "signals": self.signal_file.text().strip(),
            "run": self.run_id.currentText(),
            "strategy": self.strategy.currentData(),
            "topk": self.topk.value(),
            "n_drop": self.n_drop.value(),
            "buy_threshold": self.buy_threshold.value(),
            "max_positions": self.max_positions.value(),
            "stop_loss": stop or None,
            "take_profit": take or None,
            "start": self.start.date().toString("yyyy-MM-dd"),
            "end": self.end.date().toString("yyyy-MM-dd"),
            "deal_price": self.deal_price.currentData(),
        }

    def set_form(self, form: Mapping[str, Any]) -> None:
        """Fill the form from a dict shaped as `form()` returns it; keys missing or of the wrong kind are skipped."""

        def choose(combo: QComboBox, data: object) -> None:
            index = combo.findData(data)
            if index >= 0:
                combo.setCurrentIndex(index)

        choose(self.source, form.get("source"))
        choose(self.strategy, form.get("strategy"))
        choose(self.deal_price, form.get("deal_price"))
        if isinstance(form.get("signals"), str):
            self.signal_file.setText(form["signals"])
        if isinstance(form.get("run"), str) and self.run_id.findText(form["run"]) >= 0:
            self.run_id.setCurrentText(form["run"])  # first: choosing a run fills its test period
        for key, spin in (("topk", self.topk), ("n_drop", self.n_drop), ("max_positions", self.max_positions)):
            if isinstance(form.get(key), int):
                spin.setValue(form[key])
        for key, double in (
            ("buy_threshold", self.buy_threshold),
            ("stop_loss", self.stop_loss),
            ("take_profit", self.take_profit),
        ):
            value = form.get(key)
            if isinstance(value, (int, float)) or value is None and key != "buy_threshold":
                double.setValue(float(value or 0.0))
        for key, date_field in (("start", self.start), ("end", self.end)):
            date = QDate.fromString(str(form.get(key, "")), "yyyy-MM-dd")
            if date.isValid():
                date_field.setDate(date)

    def set_runs(self, run_ids: Sequence[str]) -> None:
        self.run_id.clear()
        self.run_id.addItems(list(run_ids))

    def _on_source_current_index_changed(self, *_: object) -> None:
        from_file = self.source.currentData() == "file"
        self.signal_file.setVisible(from_file)
        self.browse.setVisible(from_file)
        self.run_id.setVisible(not from_file)

    def _on_strategy_current_index_changed(self, *_: object) -> None:
        topk = self.strategy.currentData() == "topk"
        for rows, visible in ((self._topk_rows, topk), (self._threshold_rows, not topk)):
            for _label, widget in rows:
                self._form.setRowVisible(widget, visible)

    def _on_browse_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, _tr("Signal file"), "", _tr("Signals (*.csv *.csv.gz *.parquet)"))
        if path:
            self.signal_file.setText(path)

    def _on_run_clicked(self) -> None:
        for date_field, name in ((self.start, _tr("Start")), (self.end, _tr("End"))):
            if not date_field.is_valid():
                self.show_message(
                    _tr("{field}: cannot read the date {text!r}; type e.g. 2019-05-06").format(
                        field=name, text=date_field.text()
                    )
                )
                return
        self.sig_run_requested.emit(self.form())

    def _on_export_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _tr("Export report to"))
        if folder:
            self.sig_export_requested.emit(folder)

    def _on_trades_table_cell_double_clicked(self, row: int, _column: int) -> None:
        date, symbol = self.trades_table.item(row, 0), self.trades_table.item(row, 1)
        if date is not None and symbol is not None:
            self.sig_trade_activated.emit(symbol.text(), date.text())

    # -- view-state from the presenter -----------------------------------------------------------
    def show_busy(self, message: str | None, done: int = 0, total: int = 0) -> None:
        busy = message is not None
        self.progress.setVisible(busy)
        self.cancel_button.setEnabled(busy)
        self.run_button.setEnabled(not busy)
        if busy:
            self.progress.setRange(0, max(total, 0))
            self.progress.setValue(done)
            self.status.setText(message or "")

    @property
    def curves(self) -> BacktestCurves:
        """The plots, built on first use (the first result, or a test that looks at them)."""
        if self._curves is None:
            self._curves = BacktestCurves(self)
            self.curves_stack.addWidget(self._curves)
        return self._curves

    def show_message(self, text: str) -> None:
        self.status.setText(text)

    def set_period(self, start: str, end: str) -> None:
        """Fill the backtest period (ISO dates), e.g. from the chosen run's test segment."""
        self.start.setDate(QDate.fromString(start, "yyyy-MM-dd"))
        self.end.setDate(QDate.fromString(end, "yyyy-MM-dd"))

    def show_result(self, view: BacktestView) -> None:
        self.curves.show_series(
            view.x, view.equity, view.benchmark, view.drawdown, view.excess, view.positions, view.turnover
        )
        self.curves_stack.setCurrentWidget(self.curves)
        self.metrics_table.setRowCount(len(view.metrics))
        for r, (name, value) in enumerate(view.metrics):
            self.metrics_table.setItem(r, 0, QTableWidgetItem(name))
            self.metrics_table.setItem(r, 1, QTableWidgetItem(value))
        self.metrics_table.resizeColumnToContents(0)  # metric names in full, not cut at a default width
        self.trades_table.setRowCount(len(view.trades))
        for r, row in enumerate(view.trades):
            for c, text in enumerate(row):
                self.trades_table.setItem(r, c, QTableWidgetItem(text))
        self.export_button.setEnabled(True)
        self.status.setText("\n".join([view.title, *view.notes]))


def _spin(lo: int, hi: int, value: int) -> QSpinBox:
    box = QSpinBox()
    box.setRange(lo, hi)
    box.setValue(value)
    return box


def _double(lo: float, hi: float, value: float, decimals: int) -> QDoubleSpinBox:
    box = QDoubleSpinBox()
    box.setDecimals(decimals)
    box.setRange(lo, hi)
    box.setValue(value)
    return box
