"""FactorLabPanel: type a Qlib expression (operators complete as you type), evaluate it, see its tear sheet."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QDate, QStringListModel, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QCompleter,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QSizePolicy,
    QSplitter,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from widgets.date_field import DateField

if TYPE_CHECKING:
    from widgets.factor_charts import FactorCharts

_WORD = re.compile(r"\$?[A-Za-z_]\w*$")  # the operator or $field being typed at the cursor


def _tr(text: str) -> str:
    return QCoreApplication.translate("FactorLabPanel", text)


@dataclass(frozen=True, slots=True)
class FactorForm:
    expression: str
    universe: str
    start: str  # ISO dates
    end: str


@dataclass(frozen=True, slots=True)
class FactorView:
    """A finished evaluation as the panel shows it: metric rows as text, the decay and quantile series."""

    expression: str
    metrics: Sequence[tuple[str, str]]
    horizons: Sequence[int]
    decay_ic: Sequence[float]
    decay_rank_ic: Sequence[float]
    quantile_returns: Sequence[float]  # lowest factor quantile first, in percent


class FactorLabPanel(QWidget):
    """Emits what the user asks for; the presenter evaluates off the GUI thread and hands back a FactorView."""

    sig_evaluate_requested = Signal(object)  # FactorForm
    sig_cancel_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.expression_edit = QLineEdit("Corr($close, Log($volume + 1), 10)", self)
        self.expression_edit.setPlaceholderText(_tr("A Qlib expression, e.g. Ref($close, 5) / $close - 1"))
        self._words = QStringListModel(self)
        self.completer = QCompleter(self._words, self)
        self.completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        self.completer.setWidget(self.expression_edit)
        self.completer.activated.connect(self._on_completer_activated)
        self.expression_edit.textEdited.connect(self._on_expression_edit_text_edited)
        self.expression_edit.returnPressed.connect(self._on_evaluate_clicked)
        self.universe_edit = QLineEdit("csi300", self)
        self.universe_edit.setToolTip(_tr("csi300, csi500, all, or symbols separated by commas"))
        self.start = DateField(QDate(2017, 1, 3), self)
        self.end = DateField(QDate(2020, 12, 31), self)
        self.evaluate_button = QPushButton(_tr("Evaluate"), self)
        self.evaluate_button.clicked.connect(self._on_evaluate_clicked)
        self.cancel_button = QPushButton(_tr("Cancel"), self)
        self.cancel_button.clicked.connect(self.sig_cancel_requested)
        self.progress = QProgressBar(self)
        self.status = QLabel(self)
        self.status.setWordWrap(True)
        self.metrics_table = QTableWidget(0, 2, self)
        self.metrics_table.setHorizontalHeaderLabels([_tr("Metric"), _tr("Value")])
        self.metrics_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.metrics_table.verticalHeader().setVisible(False)
        self.metrics_table.horizontalHeader().setStretchLastSection(True)
        # The charts are built with the first result: the tab says what it will show until then.
        self.charts_stack = QStackedWidget(self)
        self.empty_label = QLabel(_tr("Evaluate an expression to see its IC decay and quantile returns here."), self)
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.charts_stack.addWidget(self.empty_label)
        self._charts: FactorCharts | None = None
        self._layout()
        self.set_running(False)

    def _layout(self) -> None:
        form = QGridLayout()
        form.addWidget(QLabel(_tr("Expression"), self), 0, 0)
        form.addWidget(self.expression_edit, 0, 1, 1, 5)
        form.addWidget(QLabel(_tr("Universe"), self), 1, 0)
        form.addWidget(self.universe_edit, 1, 1)
        form.addWidget(QLabel(_tr("From"), self), 1, 2)
        form.addWidget(self.start, 1, 3)
        form.addWidget(QLabel(_tr("To"), self), 1, 4)
        form.addWidget(self.end, 1, 5)
        buttons = QHBoxLayout()
        for button in (self.evaluate_button, self.cancel_button):
            button.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
        buttons.addWidget(self.evaluate_button)
        buttons.addWidget(self.cancel_button)
        buttons.addWidget(self.progress, 1)
        buttons.addStretch(1)  # the buttons keep their size whether or not the progress bar shows
        split = QSplitter(self)
        split.addWidget(self.metrics_table)
        split.addWidget(self.charts_stack)
        split.setStretchFactor(1, 2)
        layout = QVBoxLayout(self)
        layout.addLayout(form)
        layout.addLayout(buttons)
        layout.addWidget(self.status)
        layout.addWidget(split, 1)

    @property
    def charts(self) -> FactorCharts:
        """The IC-decay and quantile plots, built on first use."""
        if self._charts is None:
            from widgets.factor_charts import FactorCharts  # pyqtgraph loads with the first result

            self._charts = FactorCharts(self)
            self.charts_stack.addWidget(self._charts)
        return self._charts

    # -- view state in ----------------------------------------------------------------------------
    def set_vocabulary(self, words: Sequence[str]) -> None:
        """Operator names and $fields the expression editor completes."""
        self._words.setStringList(sorted(words, key=str.lower))

    def set_running(self, running: bool) -> None:
        self.evaluate_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.progress.setVisible(running)

    def show_progress(self, done: int, total: int, message: str) -> None:
        self.progress.setRange(0, max(total, 0))
        self.progress.setValue(done)
        self.status.setText(message)

    def show_message(self, text: str) -> None:
        self.status.setText(text)

    def show_result(self, view: FactorView) -> None:
        self.metrics_table.setRowCount(len(view.metrics))
        for row, (name, value) in enumerate(view.metrics):
            self.metrics_table.setItem(row, 0, QTableWidgetItem(name))
            self.metrics_table.setItem(row, 1, QTableWidgetItem(value))
        self.metrics_table.resizeColumnToContents(0)
        self.charts.show_series(view.horizons, view.decay_ic, view.decay_rank_ic, view.quantile_returns)
        self.charts_stack.setCurrentWidget(self.charts)

    # -- intents out ------------------------------------------------------------------------------
    def form(self) -> FactorForm:
        return FactorForm(
            self.expression_edit.text().strip(),
            self.universe_edit.text().strip(),
            self.start.date().toString("yyyy-MM-dd"),
            self.end.date().toString("yyyy-MM-dd"),
        )

    def _on_evaluate_clicked(self) -> None:
        if self.evaluate_button.isEnabled():
            self.sig_evaluate_requested.emit(self.form())

    def _on_expression_edit_text_edited(self, text: str) -> None:
        popup = self.completer.popup()
        assert popup is not None
        match = _WORD.search(text[: self.expression_edit.cursorPosition()])
        if match is not None:
            self.completer.setCompletionPrefix(match.group())
        if match is None or self.completer.completionCount() == 0:
            popup.hide()
            return
        rect = self.expression_edit.cursorRect()
        rect.setWidth(max(160, popup.sizeHintForColumn(0) + 24))
        self.completer.complete(rect)

    def _on_completer_activated(self, word: str) -> None:
        """Replace the word being typed with the chosen operator (with its opening parenthesis) or field."""
        edit = self.expression_edit
        cursor = edit.cursorPosition()
        before, after = edit.text()[:cursor], edit.text()[cursor:]
        match = _WORD.search(before)
        head = before[: match.start()] if match is not None else before
        insert = word if word.startswith("$") else word + "("
        edit.setText(head + insert + after)
        edit.setCursorPosition(len(head + insert))
