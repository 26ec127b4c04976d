"""The Training dock's form: model, data, hyper-parameters and walk-forward, read and set as one TrainingForm."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDoubleSpinBox,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QSpinBox,
    QWidget,
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("TrainingPanel", text)  # the dock's one translation context


@dataclass(frozen=True, slots=True)
class TrainingForm:
    """What the form asks for; the presenter turns it into a training command."""

    model: str
    dataset: str
    universe: str
    segments: str
    device: str
    epochs: int
    learning_rate: float
    size: int  # hidden units, or leaves for LightGBM
    batch_size: int
    seed: int
    extra: str = ""  # more parameters as KEY=VALUE, comma separated
    rolling: str | None = None  # walk-forward: retrain every STEP (20d, 1m, 3m) over the test segment; None: one model
    window: str = "expanding"  # with rolling: expanding or sliding train window


class TrainingFormFields(QWidget):
    """The fields, two label/field pairs a row so the form is half the height of one column."""

    sig_model_changed = Signal(str)  # the form shows that model's defaults

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model_combo = QComboBox(self)
        self.model_combo.currentTextChanged.connect(self.sig_model_changed)
        self.dataset_combo = QComboBox(self)
        self.dataset_combo.addItems(["alpha158", "alpha360"])
        self.universe_edit = QLineEdit("csi300", self)
        self.universe_edit.setToolTip(_tr("csi300, csi500, all, or symbols separated by commas"))
        self.segments_edit = QLineEdit("2008-01-01:2014-12-31,2015-01-01:2016-12-31,2017-01-01:2020-12-31", self)
        self.segments_edit.setToolTip(_tr("Train, valid, test as START:END, separated by commas"))
        self.segments_edit.setMinimumWidth(self.segments_edit.fontMetrics().horizontalAdvance("0" * 66))
        self.device_combo = QComboBox(self)
        for device in ("auto", "cpu", "cuda", "mps"):
            # "auto" is a word and is translated; the device names are the same in every language.
            self.device_combo.addItem(_tr("auto") if device == "auto" else device, device)
        self.epochs_spin = QSpinBox(self)
        self.epochs_spin.setRange(1, 10000)
        self.lr_spin = QDoubleSpinBox(self)
        self.lr_spin.setDecimals(5)
        self.lr_spin.setRange(1e-5, 1.0)
        self.lr_spin.setSingleStep(1e-4)
        self.size_spin = QSpinBox(self)
        self.size_spin.setRange(1, 4096)
        self.batch_spin = QSpinBox(self)
        self.batch_spin.setRange(1, 100000)
        self.seed_spin = QSpinBox(self)
        self.seed_spin.setRange(0, 2**31 - 1)
        self.extra_edit = QLineEdit(self)
        self.extra_edit.setPlaceholderText(_tr("more parameters: key=value, key=value"))
        self._build_walk_forward()
        self._lay_out()

    def _build_walk_forward(self) -> None:
        self.rolling_check = QCheckBox(_tr("Walk-forward"), self)
        self.rolling_check.setToolTip(_tr("Retrain every step over the test segment and stitch the scores"))
        self.rolling_edit = QLineEdit("1m", self)
        self.rolling_edit.setPlaceholderText(_tr("step: 20d, 1m, 3m"))
        self.window_label = QLabel(_tr("Window"), self)
        self.window_combo = QComboBox(self)
        self.window_combo.addItem(_tr("expanding"), "expanding")
        self.window_combo.addItem(_tr("sliding"), "sliding")
        for follower in (self.rolling_edit, self.window_label, self.window_combo):
            self.rolling_check.toggled.connect(follower.setEnabled)
            follower.setEnabled(False)

    def _lay_out(self) -> None:
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 1)
        rows: tuple[tuple[tuple[str, QWidget], ...], ...] = (
            ((_tr("Model"), self.model_combo), (_tr("Dataset"), self.dataset_combo)),
            ((_tr("Universe"), self.universe_edit), (_tr("Device"), self.device_combo)),
            ((_tr("Segments"), self.segments_edit),),
            ((_tr("Epochs"), self.epochs_spin), (_tr("Learning rate"), self.lr_spin)),
            ((_tr("Hidden size / leaves"), self.size_spin), (_tr("Batch size"), self.batch_spin)),
            ((_tr("Seed"), self.seed_spin),),
            ((_tr("Parameters"), self.extra_edit),),
        )
        for row, pairs in enumerate(rows):
            for column, (label, widget) in enumerate(pairs):
                grid.addWidget(QLabel(label, self), row, column * 2)
                span = 3 if len(pairs) == 1 and widget is not self.seed_spin else 1
                grid.addWidget(widget, row, column * 2 + 1, 1, span)
        # The walk-forward switch, its step and its window on one row: the window box belongs to the switch.
        walk = QHBoxLayout()
        walk.addWidget(self.rolling_check)
        walk.addWidget(self.rolling_edit, 1)
        walk.addWidget(self.window_label)
        walk.addWidget(self.window_combo)
        grid.addLayout(walk, len(rows), 0, 1, 4)

    def set_models(self, names: Sequence[str]) -> None:
        self.model_combo.clear()
        self.model_combo.addItems(list(names))

    def set_form(self, form: TrainingForm) -> None:
        self.model_combo.setCurrentText(form.model)
        self.dataset_combo.setCurrentText(form.dataset)
        self.universe_edit.setText(form.universe)
        self.segments_edit.setText(form.segments)
        self.device_combo.setCurrentIndex(max(0, self.device_combo.findData(form.device)))
        self.epochs_spin.setValue(form.epochs)
        self.lr_spin.setValue(form.learning_rate)
        self.size_spin.setValue(form.size)
        self.batch_spin.setValue(form.batch_size)
        self.seed_spin.setValue(form.seed)
        self.extra_edit.setText(form.extra)
        self.rolling_check.setChecked(form.rolling is not None)
        if form.rolling:
            self.rolling_edit.setText(form.rolling)
        self.window_combo.setCurrentIndex(max(0, self.window_combo.findData(form.window)))

    def values(self) -> TrainingForm:
        return TrainingForm(
            self.model_combo.currentText(),
            self.dataset_combo.currentText(),
            self.universe_edit.text().strip(),
            self.segments_edit.text().strip(),
            str(self.device_combo.currentData()),
            self.epochs_spin.value(),
            self.lr_spin.value(),
            self.size_spin.value(),
            self.batch_spin.value(),
            self.seed_spin.value(),
            self.extra_edit.text().strip(),
            self.rolling_edit.text().strip() if self.rolling_check.isChecked() else None,
            str(self.window_combo.currentData()),
        )
