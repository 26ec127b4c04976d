"""TrainingPanel: the click-to-train form (widgets.training_form), live curves, job queue and progress, results and
the run registry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QMenu,
    QProgressBar,
    QPushButton,
    QStackedWidget,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from widgets.tr import QT_TRANSLATE_NOOP
from widgets.training_curves import TrainingCurves
from widgets.training_form import TrainingForm, TrainingFormFields


def _tr(text: str) -> str:
    return QCoreApplication.translate("TrainingPanel", text)


@dataclass(frozen=True, slots=True)
class RunRow:
    """One row of the run registry table."""

    run_id: str
    model: str
    dataset: str
    universe: str
    test: str
    metrics: dict[str, float] = field(default_factory=dict)


METRIC_KEYS = ("ic", "icir", "rank_ic", "rank_icir")
_METRIC_TITLES = (
    QT_TRANSLATE_NOOP("TrainingPanel", "IC"),
    QT_TRANSLATE_NOOP("TrainingPanel", "ICIR"),
    QT_TRANSLATE_NOOP("TrainingPanel", "Rank IC"),
    QT_TRANSLATE_NOOP("TrainingPanel", "Rank ICIR"),
)
_RUN_HEADERS = (
    QT_TRANSLATE_NOOP("TrainingPanel", "Run"),
    QT_TRANSLATE_NOOP("TrainingPanel", "Model"),
    QT_TRANSLATE_NOOP("TrainingPanel", "Dataset"),
    QT_TRANSLATE_NOOP("TrainingPanel", "Universe"),
    QT_TRANSLATE_NOOP("TrainingPanel", "Test segment"),
    *_METRIC_TITLES,
)


_COMPARE_LABELS = {
    "model": QT_TRANSLATE_NOOP("TrainingPanel", "Model"),
    "dataset": QT_TRANSLATE_NOOP("TrainingPanel", "Dataset"),
    "universe": QT_TRANSLATE_NOOP("TrainingPanel", "Universe"),
    "range": QT_TRANSLATE_NOOP("TrainingPanel", "Data range"),
    "epochs": QT_TRANSLATE_NOOP("TrainingPanel", "Epochs"),
    "train_seconds": QT_TRANSLATE_NOOP("TrainingPanel", "Training time"),
    "ic": QT_TRANSLATE_NOOP("TrainingPanel", "IC"),
    "icir": QT_TRANSLATE_NOOP("TrainingPanel", "ICIR"),
    "rank_ic": QT_TRANSLATE_NOOP("TrainingPanel", "Rank IC"),
    "rank_icir": QT_TRANSLATE_NOOP("TrainingPanel", "Rank ICIR"),
}


_ENSEMBLE_METHODS = (  # core.research.ensemble's methods, as the Ensemble button's menu offers them
    ("mean", QT_TRANSLATE_NOOP("TrainingPanel", "Mean of scores")),
    ("rank-mean", QT_TRANSLATE_NOOP("TrainingPanel", "Mean of daily ranks")),
)


def _compare_label(key: str) -> str:
    title = _COMPARE_LABELS.get(key)
    return _tr(title) if title else key.replace("_", " ").capitalize()


def _compare_value(key: str, value: object) -> str:
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    if key == "train_seconds" and isinstance(value, (int, float)):
        minutes, seconds = divmod(round(value), 60)
        return f"{minutes} min {seconds:02d} s" if minutes else f"{value:.1f} s"
    return _fmt(value)


def _fmt(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)


class TrainingPanel(QWidget):
    """Renders what the presenter sets; every button only emits an intent."""

    sig_train_requested = Signal(object)  # TrainingForm
    sig_cancel_requested = Signal()
    sig_model_changed = Signal(str)  # the form shows that model's defaults
    sig_compare_requested = Signal(list)  # run ids
    sig_delete_requested = Signal(list)  # run ids
    sig_export_requested = Signal(str, str)  # run id, folder
    sig_ensemble_requested = Signal(list, str)  # run ids, method ("mean" or "rank-mean")

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.fields = TrainingFormFields(self)
        self.fields.sig_model_changed.connect(self.sig_model_changed)
        self.train_button = QPushButton(_tr("Train"), self)
        self.train_button.clicked.connect(self._on_train_button_clicked)
        self.cancel_button = QPushButton(_tr("Cancel"), self)
        self.cancel_button.clicked.connect(self.sig_cancel_requested)
        self._build_curves()
        self.progress = QProgressBar(self)
        self.progress.setRange(0, 1000)
        self.status = QLabel(self)
        self.result = QLabel(self)
        self.queue = QListWidget(self)
        self.queue.setMaximumHeight(70)
        self._build_runs()
        self.compare_table = QTableWidget(self)
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.curves_stack, _tr("Curves"))
        self.tabs.addTab(self.runs_page, _tr("Runs"))
        self.tabs.addTab(self.compare_table, _tr("Compare"))
        left = QVBoxLayout()
        # Train first: on a laptop-height dock the button must be in view without scrolling.
        buttons = QHBoxLayout()
        buttons.addWidget(self.train_button)
        buttons.addWidget(self.cancel_button)
        buttons.addStretch(1)
        left.addLayout(buttons)
        left.addWidget(self.fields)
        left.addWidget(QLabel(_tr("Queue"), self))
        left.addWidget(self.queue)
        left.addStretch(1)
        right = QVBoxLayout()
        right.addWidget(self.tabs, 1)
        right.addWidget(self.progress)
        right.addWidget(self.status)
        right.addWidget(self.result)
        layout = QHBoxLayout(self)
        layout.addLayout(left)
        layout.addLayout(right, 1)
        self.set_running(False)

    # -- construction ----------------------------------------------------------------------
    def _build_curves(self) -> None:
        # Until a model trains, the tab explains itself; the plots are built with the first run.
        self.curves_stack = QStackedWidget(self)
        self.empty_curves = QLabel(_tr("Train a model to see its loss and valid IC by epoch here."), self)
        self.empty_curves.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_curves.setWordWrap(True)
        self.curves_stack.addWidget(self.empty_curves)
        self._curves: TrainingCurves | None = None
        self._curves_title = ""
        self._epochs: list[tuple[int, float, float, float]] = []

    @property
    def curves(self) -> TrainingCurves:
        """The loss and IC plots, built on first use."""
        if self._curves is None:
            self._curves = TrainingCurves(self)
            self.curves_stack.addWidget(self._curves)
        return self._curves

    def _build_runs(self) -> None:
        self.runs_page = QWidget(self)
        self.runs_table = QTableWidget(0, len(_RUN_HEADERS), self.runs_page)
        self.runs_table.setHorizontalHeaderLabels([_tr(h) for h in _RUN_HEADERS])
        self.runs_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.runs_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.compare_button = QPushButton(_tr("Compare"), self.runs_page)
        self.compare_button.clicked.connect(lambda: self.sig_compare_requested.emit(self.selected_runs()))
        self.delete_button = QPushButton(_tr("Delete"), self.runs_page)
        self.delete_button.clicked.connect(lambda: self.sig_delete_requested.emit(self.selected_runs()))
        self.export_button = QPushButton(_tr("Export…"), self.runs_page)
        self.export_button.clicked.connect(self._on_export_button_clicked)
        self.ensemble_button = QPushButton(_tr("Ensemble"), self.runs_page)
        self.ensemble_button.setToolTip(_tr("Register a run that combines the selected runs' scores"))
        menu = QMenu(self.ensemble_button)
        self.ensemble_actions = {}
        for method, text in _ENSEMBLE_METHODS:
            action = menu.addAction(_tr(text))
            action.triggered.connect(
                lambda _=False, m=method: self.sig_ensemble_requested.emit(self.selected_runs(), m)
            )
            self.ensemble_actions[method] = action
        self.ensemble_button.setMenu(menu)
        row = QHBoxLayout()
        for button in (self.compare_button, self.delete_button, self.export_button, self.ensemble_button):
            row.addWidget(button)
        row.addStretch(1)
        layout = QVBoxLayout(self.runs_page)
        layout.addWidget(self.runs_table)
        layout.addLayout(row)

    # -- view state from the presenter -----------------------------------------------------------
    def set_models(self, names: Sequence[str]) -> None:
        self.fields.set_models(names)

    def set_form(self, form: TrainingForm) -> None:
        self.fields.set_form(form)

    def form_values(self) -> TrainingForm:
        return self.fields.values()

    def curves_title(self) -> str:
        """What the curves show: the job, and with walk-forward the window being trained."""
        return self._curves_title

    def clear_curves(self, title: str) -> None:
        self._epochs, self._curves_title = [], title
        if self._curves is not None:
            self._curves.show_epochs(title, [])

    def add_epoch(self, epoch: int, train_loss: float, valid_loss: float, valid_ic: float) -> None:
        self._epochs.append((epoch, train_loss, valid_loss, valid_ic))
        self.curves.show_epochs(self._curves_title, self._epochs)
        self.curves_stack.setCurrentWidget(self.curves)

    def curve_points(self) -> list[tuple[int, float, float, float]]:
        return list(self._epochs)

    def set_progress(self, fraction: float, text: str) -> None:
        self.progress.setValue(int(max(0.0, min(1.0, fraction)) * 1000))
        self.status.setText(text)

    def set_queue(self, items: Sequence[str]) -> None:
        self.queue.clear()
        self.queue.addItems(list(items))

    def set_running(self, running: bool) -> None:
        self.cancel_button.setEnabled(running)

    def set_result(self, title: str, metrics: dict[str, float]) -> None:
        values = "   ".join(
            f"{_tr(t)} {metrics.get(k, float('nan')):.4f}" for k, t in zip(METRIC_KEYS, _METRIC_TITLES, strict=True)
        )
        self.result.setText(f"{title}: {values}")

    def set_runs(self, runs: Sequence[RunRow]) -> None:
        self.runs_table.setRowCount(len(runs))
        for r, run in enumerate(runs):
            cells = [
                run.run_id,
                run.model,
                run.dataset,
                run.universe,
                run.test,
                *(_fmt(run.metrics.get(k, float("nan"))) for k in METRIC_KEYS),
            ]
            for c, text in enumerate(cells):
                self.runs_table.setItem(r, c, QTableWidgetItem(text))
        self.runs_table.resizeColumnsToContents()

    def set_comparison(self, rows: Sequence[dict[str, object]]) -> None:
        """Runs side by side: one column per run (headed by its id), one labelled row per field."""
        keys = [k for k in (rows[0] if rows else {}) if k != "run_id"]
        self.compare_table.clear()
        self.compare_table.setRowCount(len(keys))
        self.compare_table.setColumnCount(len(rows))
        self.compare_table.setHorizontalHeaderLabels([str(row.get("run_id", "")) for row in rows])
        self.compare_table.setVerticalHeaderLabels([_compare_label(k) for k in keys])
        for c, row in enumerate(rows):
            for r, key in enumerate(keys):
                self.compare_table.setItem(r, c, QTableWidgetItem(_compare_value(key, row[key])))
        self.compare_table.resizeColumnsToContents()
        self.tabs.setCurrentWidget(self.compare_table)

    def selected_runs(self) -> list[str]:
        rows = sorted({i.row() for i in self.runs_table.selectedIndexes()})
        return [item.text() for r in rows if (item := self.runs_table.item(r, 0)) is not None]

    def select_runs(self, run_ids: Sequence[str]) -> None:
        self.runs_table.clearSelection()
        mode = self.runs_table.selectionMode()
        self.runs_table.setSelectionMode(QAbstractItemView.SelectionMode.MultiSelection)
        for r in range(self.runs_table.rowCount()):
            item = self.runs_table.item(r, 0)
            if item is not None and item.text() in run_ids:
                self.runs_table.selectRow(r)
        self.runs_table.setSelectionMode(mode)

    def show_error(self, text: str) -> None:
        self.status.setText(text)

    # -- intents ---------------------------------------------------------------------------------
    def _on_train_button_clicked(self) -> None:
        self.sig_train_requested.emit(self.form_values())

    def _on_export_button_clicked(self) -> None:
        runs = self.selected_runs()
        if not runs:
            return
        folder = QFileDialog.getExistingDirectory(self, _tr("Export run to folder"))
        if folder:
            self.sig_export_requested.emit(runs[0], folder)
