"""ResearchPanel: hyper-parameter studies — the list, a live trials table, best-so-far, importances, parameters."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pyqtgraph as pg
from PySide6.QtCore import QCoreApplication, QTimer, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QSplitter,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from widgets.factor_lab_panel import FactorLabPanel
from widgets.plot_palette import PlotPalette
from widgets.tr import QT_TRANSLATE_NOOP


def _tr(text: str) -> str:
    return QCoreApplication.translate("ResearchPanel", text)


@dataclass(frozen=True, slots=True)
class StudyForm:
    """What the form asks for; the presenter turns it into a study command."""

    study: str
    model: str
    dataset: str
    universe: str
    segments: str
    trials: int
    workers: int
    ray_address: str = ""  # empty: trials run here on `workers` threads


@dataclass(frozen=True, slots=True)
class StudyRow:
    name: str
    model: str
    universe: str
    metric: str
    trials: int
    best: float | None


@dataclass(frozen=True, slots=True)
class TrialView:
    number: int
    state: str
    value: float | None
    params: dict[str, object] = field(default_factory=dict)


_STUDY_HEADERS = (
    QT_TRANSLATE_NOOP("ResearchPanel", "Study"),
    QT_TRANSLATE_NOOP("ResearchPanel", "Model"),
    QT_TRANSLATE_NOOP("ResearchPanel", "Universe"),
    QT_TRANSLATE_NOOP("ResearchPanel", "Metric"),
    QT_TRANSLATE_NOOP("ResearchPanel", "Trials"),
    QT_TRANSLATE_NOOP("ResearchPanel", "Best"),
)
_TRIAL_HEADERS = (
    QT_TRANSLATE_NOOP("ResearchPanel", "Trial"),
    QT_TRANSLATE_NOOP("ResearchPanel", "State"),
    QT_TRANSLATE_NOOP("ResearchPanel", "Value"),
    QT_TRANSLATE_NOOP("ResearchPanel", "Parameters"),
)


def _value(value: float | None) -> str:
    return "-" if value is None or not math.isfinite(value) else f"{value:.4f}"


def _params(params: Mapping[str, object]) -> str:
    return "  ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(params.items()))


class ResearchPanel(QWidget):
    """Renders studies and trials; asks for start, cancel, resume and registering the best trial."""

    sig_start_requested = Signal(object)  # StudyForm
    sig_cancel_requested = Signal()
    sig_resume_requested = Signal(str)  # the selected study: add trials to it
    sig_register_requested = Signal(str)  # the selected study: register its best trial as a run
    sig_study_selected = Signal(str)
    sig_first_shown = Signal()  # the studies are read on first sight, not while the window opens

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._trials: dict[int, TrialView] = {}
        self._maximize = True
        self._importance_names: list[str] = []
        self._build_form()
        self._build_views()
        self.status_label = QLabel(self)
        self.status_label.setWordWrap(True)
        studies = QWidget(self)
        studies_layout = QVBoxLayout(studies)
        studies_layout.setContentsMargins(0, 0, 0, 0)
        studies_layout.addLayout(self.form)
        studies_layout.addWidget(self.splitter, 1)
        studies_layout.addWidget(self.status_label)
        self.factor_lab = FactorLabPanel(self)
        self.pages = QTabWidget(self)  # studies and the factor lab: the two halves of automated research
        self.pages.addTab(studies, _tr("Studies"))
        self.pages.addTab(self.factor_lab, _tr("Factors"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addWidget(self.pages)
        self.set_running(False)
        self._shown = False

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt override)
        super().showEvent(event)
        # Checked a turn later: while the window lays out its docks, a tab behind another is shown and
        # hidden again, and the first real showing is what loads the studies (and Optuna with them).
        QTimer.singleShot(0, self, self._announce_first_showing)

    def _announce_first_showing(self) -> None:
        if not self._shown and self.isVisible():
            self._shown = True
            self.sig_first_shown.emit()

    def _build_form(self) -> None:
        self.study_edit = QLineEdit(self)
        self.study_edit.setPlaceholderText(_tr("MODEL-DATASET-UNIVERSE"))
        self.model_combo = QComboBox(self)
        self.dataset_combo = QComboBox(self)
        self.dataset_combo.addItems(["alpha158", "alpha360"])
        self.universe_edit = QLineEdit("csi300", self)
        self.segments_edit = QLineEdit("2008-01-01:2014-12-31,2015-01-01:2016-12-31,2017-01-01:2020-12-31", self)
        self.segments_edit.setToolTip(_tr("Train, valid, test as START:END, separated by commas"))
        self.trials_spin = QSpinBox(self)
        self.trials_spin.setRange(1, 10000)
        self.trials_spin.setValue(20)
        self.workers_spin = QSpinBox(self)
        self.workers_spin.setRange(1, 64)
        self.ray_edit = QLineEdit(self)
        self.ray_edit.setPlaceholderText(_tr("empty: this machine"))
        self.ray_edit.setToolTip(_tr("A Ray cluster to run the trials on: auto, ray://HOST:PORT or HOST:PORT"))
        self.start_button = QPushButton(_tr("Start"), self)
        self.cancel_button = QPushButton(_tr("Cancel"), self)
        self.resume_button = QPushButton(_tr("Resume"), self)
        self.resume_button.setToolTip(_tr("Add the trials above to the selected study"))
        self.register_button = QPushButton(_tr("Register best as run"), self)
        self.start_button.clicked.connect(lambda: self.sig_start_requested.emit(self.form_values()))
        self.cancel_button.clicked.connect(self.sig_cancel_requested.emit)
        self.resume_button.clicked.connect(self._on_resume_button_clicked)
        self.register_button.clicked.connect(self._on_register_button_clicked)
        # Two rows, so the bottom dock leaves its height to the tables and charts.
        self.form = QGridLayout()
        for column in (1, 3, 7):
            self.form.setColumnStretch(column, 1)
        self.form.setColumnStretch(5, 1)
        top: tuple[tuple[str, QWidget], ...] = (
            (_tr("Study"), self.study_edit),
            (_tr("Model"), self.model_combo),
            (_tr("Dataset"), self.dataset_combo),
            (_tr("Universe"), self.universe_edit),
        )
        for i, (label, widget) in enumerate(top):
            self.form.addWidget(QLabel(label, self), 0, i * 2)
            self.form.addWidget(widget, 0, i * 2 + 1)
        self.form.addWidget(QLabel(_tr("Segments"), self), 1, 0)
        self.form.addWidget(self.segments_edit, 1, 1, 1, 3)
        self.form.addWidget(QLabel(_tr("Trials"), self), 1, 4)
        self.form.addWidget(self.trials_spin, 1, 5)
        self.form.addWidget(QLabel(_tr("Workers"), self), 1, 6)
        self.form.addWidget(self.workers_spin, 1, 7)
        buttons = QHBoxLayout()
        for b in (self.start_button, self.cancel_button, self.resume_button, self.register_button):
            buttons.addWidget(b)
        buttons.addStretch(1)
        self.form.addLayout(buttons, 2, 0, 1, 4)
        self.form.addWidget(QLabel(_tr("Ray address"), self), 2, 4)
        self.form.addWidget(self.ray_edit, 2, 5, 1, 3)

    def _build_views(self) -> None:
        self.studies_table = QTableWidget(0, len(_STUDY_HEADERS), self)
        self.studies_table.setHorizontalHeaderLabels([_tr(h) for h in _STUDY_HEADERS])
        self.studies_table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.studies_table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.studies_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.studies_table.verticalHeader().setVisible(False)
        self.studies_table.itemSelectionChanged.connect(self._on_studies_table_selection_changed)
        self.trials_table = QTableWidget(0, len(_TRIAL_HEADERS), self)
        self.trials_table.setHorizontalHeaderLabels([_tr(h) for h in _TRIAL_HEADERS])
        self.trials_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.trials_table.verticalHeader().setVisible(False)
        self.trials_table.horizontalHeader().setStretchLastSection(True)
        self.plots = pg.GraphicsLayoutWidget(self)
        self.best_plot = self.plots.addPlot(row=0, col=0, title=_tr("Best so far"))
        self.best_plot.setLabel("bottom", _tr("Trial"))
        self.trial_points = pg.ScatterPlotItem(size=6, brush=pg.mkBrush("#4c9be8"), pen=None)
        self.best_plot.addItem(self.trial_points)
        self.best_curve = self.best_plot.plot([], [], pen=pg.mkPen("#e8a33c", width=2), stepMode=None)
        self.importance_plot = self.plots.addPlot(row=0, col=1, title=_tr("Parameter importance"))
        self.importance_bars = pg.BarGraphItem(x0=0, y=[], height=0.6, width=[], brush="#5cc26b")
        self.importance_plot.addItem(self.importance_bars)
        self.importance_plot.invertY(True)
        self.importance_plot.hideAxis("left")  # each bar carries its parameter's name instead
        self._importance_labels: list[pg.TextItem] = []
        self.parallel_plot = self.plots.addPlot(row=1, col=0, colspan=2, title=_tr("Parallel coordinates"))
        self.plot_palette = PlotPalette(self.plots, [self.best_plot, self.importance_plot, self.parallel_plot])
        self.tabs = QTabWidget(self)
        self.tabs.addTab(self.trials_table, _tr("Trials"))
        self.tabs.addTab(self.plots, _tr("Charts"))
        self.splitter = QSplitter(self)
        self.splitter.addWidget(self.studies_table)
        self.splitter.addWidget(self.tabs)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setSizes([360, 740])

    # -- view state ------------------------------------------------------------------------------
    def set_models(self, names: Sequence[str]) -> None:
        self.model_combo.clear()
        self.model_combo.addItems(list(names))

    def form_values(self) -> StudyForm:
        return StudyForm(
            self.study_edit.text().strip(),
            self.model_combo.currentText(),
            self.dataset_combo.currentText(),
            self.universe_edit.text().strip(),
            self.segments_edit.text().strip(),
            self.trials_spin.value(),
            self.workers_spin.value(),
            self.ray_edit.text().strip(),
        )

    def set_studies(self, rows: Sequence[StudyRow], selected: str | None = None) -> None:
        self.studies_table.blockSignals(True)
        self.studies_table.setRowCount(len(rows))
        for i, r in enumerate(rows):
            cells = (r.name, r.model, r.universe, r.metric, str(r.trials), _value(r.best))
            for j, text in enumerate(cells):
                self.studies_table.setItem(i, j, QTableWidgetItem(text))
            if r.name == selected:
                self.studies_table.selectRow(i)
        self.studies_table.blockSignals(False)
        self.studies_table.resizeColumnsToContents()

    def selected_study(self) -> str | None:
        rows = self.studies_table.selectionModel().selectedRows()
        item = self.studies_table.item(rows[0].row(), 0) if rows else None
        return item.text() if item is not None else None

    def set_trials(self, trials: Sequence[TrialView], maximize: bool = True) -> None:
        """Replace the trials table and charts (a study was selected or started)."""
        self._maximize = maximize
        self._trials = {t.number: t for t in trials}
        self._render_trials()

    def update_trial(self, trial: TrialView) -> None:
        """A trial started or ended while the study runs."""
        self._trials[trial.number] = trial
        self._render_trials()

    def trial_rows(self) -> list[tuple[str, ...]]:
        out = []
        for i in range(self.trials_table.rowCount()):
            items = [self.trials_table.item(i, j) for j in range(len(_TRIAL_HEADERS))]
            out.append(tuple(item.text() if item is not None else "" for item in items))
        return out

    def best_so_far(self) -> list[tuple[int, float]]:
        xs, ys = self.best_curve.getData()
        return [] if xs is None else [(int(x), float(y)) for x, y in zip(xs, ys, strict=True)]

    def set_importances(self, weights: Mapping[str, float]) -> None:
        names = sorted(weights, key=lambda k: -weights[k])
        self._importance_names = names
        self.importance_bars.setOpts(y=list(range(len(names))), width=[weights[n] for n in names])
        for label in self._importance_labels:
            self.importance_plot.removeItem(label)
        self._importance_labels = []
        for i, name in enumerate(names):
            label = pg.TextItem(f"{name}  {weights[name]:.2f}", color=self.palette().text().color(), anchor=(0, 0.5))
            label.setPos(0, i)
            self.importance_plot.addItem(label)
            self._importance_labels.append(label)
        self.importance_plot.autoRange()

    def importance_names(self) -> list[str]:
        """The parameters on the importance chart, most important first."""
        return list(self._importance_names)

    def set_running(self, running: bool) -> None:
        self.start_button.setEnabled(not running)
        self.resume_button.setEnabled(not running)
        self.register_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)

    def show_status(self, text: str) -> None:
        self.status_label.setText(text)

    # -- rendering -------------------------------------------------------------------------------
    def _render_trials(self) -> None:
        trials = [self._trials[n] for n in sorted(self._trials)]
        self.trials_table.setRowCount(len(trials))
        for i, t in enumerate(trials):
            cells = (str(t.number), _tr(t.state), _value(t.value), _params(t.params))
            for j, text in enumerate(cells):
                self.trials_table.setItem(i, j, QTableWidgetItem(text))
        for j in range(len(_TRIAL_HEADERS) - 1):  # the parameters column takes the rest
            self.trials_table.resizeColumnToContents(j)
        done = [t for t in trials if t.state == "complete" and t.value is not None]
        self.trial_points.setData([t.number for t in done], [t.value for t in done])
        best: list[float] = []
        for t in done:
            v = float(t.value or 0.0)
            best.append(v if not best else (max if self._maximize else min)(best[-1], v))
        self.best_curve.setData([t.number for t in done], best)
        self._render_parallel(done)

    def _render_parallel(self, done: Sequence[TrialView]) -> None:
        # One vertical axis per numeric parameter (scaled to 0..1) plus the value; a line per trial.
        self.parallel_plot.clear()
        names = sorted({k for t in done for k, v in t.params.items() if isinstance(v, (int, float))})
        if not done or not names:
            return
        columns = [[float(t.params.get(n, math.nan)) for t in done] for n in names]  # type: ignore[arg-type]
        columns.append([float(t.value or 0.0) for t in done])
        scaled = []
        for col in columns:
            lo, hi = min(col), max(col)
            scaled.append([(v - lo) / (hi - lo) if hi > lo else 0.5 for v in col])
        values = scaled[-1]
        for i in range(len(done)):
            good = values[i] if self._maximize else 1 - values[i]
            pen = pg.mkPen(pg.mkColor(int(230 * (1 - good)), int(80 + 150 * good), 90), width=1.5)
            self.parallel_plot.plot(list(range(len(scaled))), [c[i] for c in scaled], pen=pen)
        self.parallel_plot.getAxis("bottom").setTicks([list(enumerate([*names, _tr("Value")]))])
        # Room beside the outer axes, so their names are not cut at the plot's edges.
        self.parallel_plot.setXRange(-0.4, len(scaled) - 0.6, padding=0)

    def _on_studies_table_selection_changed(self) -> None:
        name = self.selected_study()
        if name:
            self.study_edit.setText(name)
            self.sig_study_selected.emit(name)

    def _on_resume_button_clicked(self) -> None:
        name = self.selected_study()
        if name:
            self.sig_resume_requested.emit(name)

    def _on_register_button_clicked(self) -> None:
        name = self.selected_study()
        if name:
            self.sig_register_requested.emit(name)


# The trial states the table shows, translated where the table renders them.
_STATES = (
    QT_TRANSLATE_NOOP("ResearchPanel", "running"),
    QT_TRANSLATE_NOOP("ResearchPanel", "complete"),
    QT_TRANSLATE_NOOP("ResearchPanel", "pruned"),
    QT_TRANSLATE_NOOP("ResearchPanel", "fail"),
)
