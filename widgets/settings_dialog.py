"""SettingsDialog: bridge address and token, data folder, colours, theme, language."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
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
        )

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
