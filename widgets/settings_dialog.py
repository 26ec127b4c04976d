"""SettingsDialog: bridge address and token, data folder, colours, theme, language, orders, limits, daily routine."""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)


@dataclass(frozen=True, slots=True)
class SettingsForm:
    """The dialog's values. `token` is None when the user left the token field untouched."""

    bridge_url: str
    token: str | None
    data_dir: str
    red_up: bool
    theme: str
    language: str
    trading_mode: str = "paper"
    # Settings → Orders: the pre-trade limits in force (name -> value, as RiskLimits names them) and when
    # orders queued for a session are released.
    risk_limits: dict[str, object] = field(default_factory=dict)
    queue_release_at: str = "09:30"
    # The daily routine after the close: the run it scores with (empty: off), when, and TopK / drop.
    routine_run: str = ""
    routine_close_at: str = "15:30"
    routine_topk: int = 50
    routine_n_drop: int = 5
    routine_retrain: str = ""  # '20d' trading days or '1m' months; empty: never
    routine_retrain_window: str = ""  # expanding | sliding; empty: the run's own


# (limit, maximum, scale): whole numbers for counts, CNY for values, a weight shown in percent.
_LIMIT_FIELDS = (
    ("max_order_value", 1e10, 1.0),
    ("max_position_weight", 100.0, 100.0),
    ("max_daily_loss", 1e10, 1.0),
    ("max_orders_per_window", 10_000, 1.0),
    ("max_orders_per_day", 1_000_000, 1.0),
)


class SettingsDialog(QDialog):
    """Edits a SettingsForm; `sig_save_requested` carries the new form, the presenter decides."""

    sig_save_requested = Signal(object)

    def __init__(self, form: SettingsForm, token_stored: bool, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Settings"))
        self.url_edit = QLineEdit(form.bridge_url, self)
        self.url_edit.setPlaceholderText("https://192.168.1.20:8765")
        self.token_edit = QLineEdit(self)
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText(
            self.tr("stored in the OS keyring — type to replace") if token_stored else self.tr("bridge token")
        )
        self.data_edit = QLineEdit(form.data_dir, self)
        self.data_edit.setPlaceholderText(self.tr("default data folder"))
        browse = QPushButton(self.tr("Browse…"), self)
        browse.clicked.connect(self._on_browse_clicked)
        self.colour_box = QComboBox(self)
        self.colour_box.addItem(self.tr("Red up, green down (A-share)"), True)
        self.colour_box.addItem(self.tr("Green up, red down"), False)
        self.colour_box.setCurrentIndex(0 if form.red_up else 1)
        self.theme_box = QComboBox(self)
        self.theme_box.addItem(self.tr("Light"), "light")
        self.theme_box.addItem(self.tr("Dark"), "dark")
        self.theme_box.setCurrentIndex(max(0, self.theme_box.findData(form.theme)))
        self.trading_box = QComboBox(self)
        self.trading_box.addItem(self.tr("Paper account (simulated fills)"), "paper")
        self.trading_box.addItem(self.tr("Live QMT account through the bridge"), "live")
        self.trading_box.setCurrentIndex(max(0, self.trading_box.findData(form.trading_mode)))
        self.language_box = QComboBox(self)
        self.language_box.addItem(self.tr("System default"), "")
        self.language_box.addItem("简体中文", "zh_CN")
        self.language_box.addItem("English", "en")
        self.language_box.setCurrentIndex(max(0, self.language_box.findData(form.language)))
        self.limit_spins: dict[str, QDoubleSpinBox | QSpinBox] = {}
        for key, maximum, scale in _LIMIT_FIELDS:
            spin: QDoubleSpinBox | QSpinBox
            if key.startswith("max_orders"):
                spin = QSpinBox(self)
                spin.setRange(0, int(maximum))
            else:
                spin = QDoubleSpinBox(self)
                spin.setDecimals(1 if scale != 1.0 else 0)
                spin.setRange(0.0, maximum)
            spin.setSpecialValueText(self.tr("default"))  # shown at 0: the built-in limit applies
            if key in form.risk_limits:
                value = float(str(form.risk_limits[key])) * scale
                if isinstance(spin, QSpinBox):
                    spin.setValue(int(value))
                else:
                    spin.setValue(value)
            self.limit_spins[key] = spin
        restricted = form.risk_limits.get("restricted") or ()
        self.restricted_edit = QLineEdit(", ".join(str(s) for s in restricted), self)  # type: ignore[attr-defined]
        self.restricted_edit.setPlaceholderText("600000.SH, 000001.SZ")
        self.release_box = QComboBox(self)
        self.release_box.addItem(self.tr("09:15 (call auction)"), "09:15")
        self.release_box.addItem(self.tr("09:30 (continuous trading)"), "09:30")
        self.release_box.setCurrentIndex(max(0, self.release_box.findData(form.queue_release_at)))
        self.routine_run_edit = QLineEdit(form.routine_run, self)
        self.routine_run_edit.setPlaceholderText(self.tr("run id; empty: no daily routine"))
        self.routine_at_edit = QLineEdit(form.routine_close_at, self)
        self.routine_at_edit.setPlaceholderText("15:30")
        self.routine_topk = QSpinBox(self)
        self.routine_topk.setRange(1, 1000)
        self.routine_topk.setValue(form.routine_topk)
        self.routine_n_drop = QSpinBox(self)
        self.routine_n_drop.setRange(0, 1000)
        self.routine_n_drop.setValue(form.routine_n_drop)
        self.routine_retrain_edit = QLineEdit(form.routine_retrain, self)
        self.routine_retrain_edit.setPlaceholderText(self.tr("20d (trading days) or 1m (months); empty: never"))
        self.routine_window_box = QComboBox(self)
        self.routine_window_box.addItem(self.tr("the run's own window"), "")
        self.routine_window_box.addItem(self.tr("expanding"), "expanding")
        self.routine_window_box.addItem(self.tr("sliding"), "sliding")
        self.routine_window_box.setCurrentIndex(max(0, self.routine_window_box.findData(form.routine_retrain_window)))
        self.message = QLabel(self)
        self.message.setWordWrap(True)
        self.message.hide()

        data_row = QHBoxLayout()
        data_row.addWidget(self.data_edit, 1)
        data_row.addWidget(browse)
        form_layout = QFormLayout()
        form_layout.addRow(self.tr("Bridge URL"), self.url_edit)
        form_layout.addRow(self.tr("Bridge token"), self.token_edit)
        form_layout.addRow(self.tr("Data folder"), data_row)
        form_layout.addRow(self.tr("Colours"), self.colour_box)
        form_layout.addRow(self.tr("Theme"), self.theme_box)
        form_layout.addRow(self.tr("Language"), self.language_box)
        form_layout.addRow(self.tr("Orders"), self.trading_box)
        labels = {
            "max_order_value": self.tr("Max order value (CNY)"),
            "max_position_weight": self.tr("Max position weight (%)"),
            "max_daily_loss": self.tr("Daily loss stop (CNY)"),
            "max_orders_per_window": self.tr("Max orders per second"),
            "max_orders_per_day": self.tr("Max orders per day"),
        }
        for key, spin in self.limit_spins.items():
            form_layout.addRow(labels[key], spin)
        form_layout.addRow(self.tr("Restricted symbols"), self.restricted_edit)
        form_layout.addRow(self.tr("Release queued orders at"), self.release_box)
        form_layout.addRow(self.tr("Daily routine run"), self.routine_run_edit)
        form_layout.addRow(self.tr("Daily routine after (Beijing)"), self.routine_at_edit)
        form_layout.addRow(self.tr("Daily routine TopK / drop"), _pair(self.routine_topk, self.routine_n_drop))
        form_layout.addRow(self.tr("Retrain the run every"), _pair(self.routine_retrain_edit, self.routine_window_box))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel, self)
        buttons.accepted.connect(self._on_buttons_accepted)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(form_layout)
        layout.addWidget(self.message)
        layout.addWidget(buttons)
        self.resize(560, 300)

    def form(self) -> SettingsForm:
        token = self.token_edit.text().strip()
        return SettingsForm(
            bridge_url=self.url_edit.text().strip(),
            token=token or None,
            data_dir=self.data_edit.text().strip(),
            red_up=bool(self.colour_box.currentData()),
            theme=str(self.theme_box.currentData()),
            language=str(self.language_box.currentData()),
            trading_mode=str(self.trading_box.currentData()),
            risk_limits=self.limits(),
            queue_release_at=str(self.release_box.currentData()),
            routine_run=self.routine_run_edit.text().strip(),
            routine_close_at=self.routine_at_edit.text().strip(),
            routine_topk=self.routine_topk.value(),
            routine_n_drop=self.routine_n_drop.value(),
            routine_retrain=self.routine_retrain_edit.text().strip(),
            routine_retrain_window=str(self.routine_window_box.currentData()),
        )

    def limits(self) -> dict[str, object]:
        """The limits the user set; a spin box left at "default" (0) sets nothing."""
        values: dict[str, object] = {}
        for key, _maximum, scale in _LIMIT_FIELDS:
            value = self.limit_spins[key].value()
            if value > 0:
                values[key] = value if isinstance(value, int) else value / scale
        restricted = [s.strip() for s in self.restricted_edit.text().split(",") if s.strip()]
        if restricted:
            values["restricted"] = restricted
        return values

    def show_message(self, text: str, error: bool = True) -> None:
        self.message.setText(text)
        self.message.setStyleSheet("color: #c0392b" if error else "color: #2d7d46")
        self.message.setVisible(bool(text))

    def _on_buttons_accepted(self) -> None:
        self.sig_save_requested.emit(self.form())

    def _on_browse_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, self.tr("Data folder"), self.data_edit.text())
        if folder:
            self.data_edit.setText(folder)


def _pair(left: QWidget, right: QWidget) -> QHBoxLayout:
    row = QHBoxLayout()
    row.addWidget(left)
    row.addWidget(right)
    return row
