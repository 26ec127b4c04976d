"""FirstRunWizard: data folder, bridge or demo, first data import, finish — the view; the presenter does the work."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QFileDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
    QWizard,
    QWizardPage,
)

DEMO, BRIDGE = "demo", "bridge"
PAGE_DATA, PAGE_SOURCE, PAGE_IMPORT, PAGE_FINISH = range(4)


def _tr(text: str) -> str:
    return QCoreApplication.translate("FirstRunWizard", text)


@dataclass(frozen=True, slots=True)
class FirstRunChoices:
    """What the user chose; the token is not here — it goes straight to the OS keyring."""

    data_dir: str
    mode: str  # DEMO or BRIDGE
    bridge_url: str
    ca_file: str


def _label(text: str, parent: QWidget, name: str = "") -> QLabel:
    label = QLabel(text, parent)
    label.setWordWrap(True)
    label.setTextFormat(Qt.TextFormat.PlainText)
    if name:
        label.setObjectName(name)
    return label


def _show_status(label: QLabel, text: str, error: bool | None) -> None:
    """Red for an error, green for a success, the normal colour (None) while work is under way."""
    label.setText(text)
    label.setStyleSheet("" if error is None else "color: #c0392b" if error else "color: #1e8449")
    label.setVisible(bool(text))


def _indented(widget: QWidget) -> QWidget:
    # Explanations and fields sit under their radio button's label, not under the button itself.
    widget.setContentsMargins(24, 0, 0, 0)
    return widget


class _Page(QWizardPage):
    """A page whose completeness is a callable of the wizard's state."""

    def __init__(self, title: str, subtitle: str, complete: Callable[[], bool]) -> None:
        super().__init__()
        self.setTitle(title)
        self.setSubTitle(subtitle)
        self._complete = complete

    def isComplete(self) -> bool:  # noqa: N802 (Qt override)
        return bool(self._complete())


class FirstRunWizard(QWizard):
    """Shown at the first start and from Help; emits intents, shows what the presenter reports."""

    sig_test_connection_requested = Signal(str, str, str)  # url, token, CA file
    sig_import_files_requested = Signal(list)  # paths
    sig_import_bridge_requested = Signal()
    sig_cancel_import_requested = Signal()

    def __init__(self, data_dir: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("first_run_wizard")
        self.setWindowTitle(_tr("Welcome to QDesk"))
        self.setWizardStyle(QWizard.WizardStyle.ModernStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnLastPage, True)
        self.resize(720, 500)
        self._connected_with: tuple[str, str] | None = None  # (url, token) of the last good test
        self._busy = False
        self.setPage(PAGE_DATA, self._data_page(data_dir))
        self.setPage(PAGE_SOURCE, self._source_page())
        self.setPage(PAGE_IMPORT, self._import_page())
        self.setPage(PAGE_FINISH, self._finish_page())
        for page_id in (PAGE_DATA, PAGE_SOURCE, PAGE_IMPORT, PAGE_FINISH):
            # In a dialog every push button defaults to taking Enter; on these pages Enter means Next,
            # not "open the file dialog" of whichever button happens to come first.
            for button in self.page(page_id).findChildren(QPushButton):
                button.setAutoDefault(False)
        self.setButtonText(QWizard.WizardButton.FinishButton, _tr("Open QDesk"))
        self.currentIdChanged.connect(self._on_wizard_current_id_changed)

    # -- pages ---------------------------------------------------------------------------------
    def _data_page(self, data_dir: str) -> QWizardPage:
        self.data_edit: QLineEdit
        page = _Page(
            _tr("Data folder"),
            _tr("QDesk keeps its market store, models and backtests in one folder."),
            lambda: bool(self.data_edit.text().strip()),
        )
        self.data_edit = QLineEdit(data_dir, page)
        self.data_edit.setObjectName("data_dir_edit")
        self.data_edit.textChanged.connect(page.completeChanged)
        browse = QPushButton(_tr("Browse…"), page)
        browse.clicked.connect(self._on_browse_data_clicked)
        row = QHBoxLayout()
        row.addWidget(self.data_edit, 1)
        row.addWidget(browse)
        layout = QVBoxLayout(page)
        layout.addWidget(
            _label(
                _tr(
                    "Choose a folder on a local disk with a few GB free. The folder is created "
                    "if it does not exist; an existing QDesk folder is used as it is."
                ),
                page,
            )
        )
        layout.addLayout(row)
        layout.addStretch(1)
        return page

    def _source_page(self) -> QWizardPage:
        page = _Page(
            _tr("Market data source"),
            _tr("Connect to QDesk Bridge on the QMT machine, or start with the bundled demo data."),
            lambda: self.mode() == DEMO or self.connection_ok(),
        )
        self.demo_radio = QRadioButton(_tr("Demo mode: replay real daily bars bundled with QDesk"), page)
        self.demo_radio.setObjectName("demo_radio")
        self.bridge_radio = QRadioButton(_tr("Connect to QDesk Bridge"), page)
        self.bridge_radio.setObjectName("bridge_radio")
        group = QButtonGroup(page)
        group.addButton(self.demo_radio)
        group.addButton(self.bridge_radio)
        self.demo_radio.setChecked(True)

        self.url_edit = QLineEdit(page)
        self.url_edit.setObjectName("bridge_url_edit")
        self.url_edit.setPlaceholderText("https://192.168.1.20:8765")
        self.token_edit = QLineEdit(page)
        self.token_edit.setObjectName("bridge_token_edit")
        self.token_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.token_edit.setPlaceholderText(_tr("shown once by the bridge at its first start"))
        self.ca_edit = QLineEdit(page)
        self.ca_edit.setObjectName("bridge_ca_edit")
        self.ca_edit.setPlaceholderText(_tr("optional: the bridge's certificate (.pem) for a self-signed TLS setup"))
        ca_browse = QPushButton(_tr("Browse…"), page)
        ca_browse.clicked.connect(self._on_browse_ca_clicked)
        ca_row = QHBoxLayout()
        ca_row.addWidget(self.ca_edit, 1)
        ca_row.addWidget(ca_browse)
        self.test_button = QPushButton(_tr("Test connection"), page)
        self.test_button.setObjectName("test_connection_button")
        self.test_button.clicked.connect(self._on_test_clicked)
        self.connection_label = _label("", page, "connection_label")
        self.keyring_label = _label("", page, "keyring_label")
        self.keyring_label.setStyleSheet("color: #b05a00")
        self.keyring_label.hide()

        self.bridge_box = QWidget(page)
        form = QFormLayout(self.bridge_box)
        form.setContentsMargins(24, 0, 0, 0)
        test_row = QHBoxLayout()
        test_row.addWidget(self.test_button)
        test_row.addStretch(1)
        form.addRow(_tr("Bridge URL"), self.url_edit)
        form.addRow(_tr("Token"), self.token_edit)
        form.addRow(_tr("TLS certificate"), ca_row)
        form.addRow("", test_row)
        form.addRow("", self.connection_label)
        form.addRow("", self.keyring_label)
        for edit in (self.url_edit, self.token_edit, self.ca_edit):
            edit.textChanged.connect(self._on_bridge_field_changed)
        for radio in (self.demo_radio, self.bridge_radio):
            radio.toggled.connect(self._on_mode_toggled)
        self._on_mode_toggled()

        layout = QVBoxLayout(page)
        layout.addWidget(self.demo_radio)
        layout.addWidget(
            _indented(
                _label(
                    _tr(
                        "Eight Shanghai and Shenzhen symbols, 1991–2011, from the hikyuu "
                        "project (Apache License 2.0). Nothing is sent anywhere."
                    ),
                    page,
                )
            )
        )
        layout.addSpacing(8)
        layout.addWidget(self.bridge_radio)
        layout.addWidget(self.bridge_box)
        layout.addStretch(1)
        return page

    def _import_page(self) -> QWizardPage:
        page = _Page(
            _tr("Import data"),
            _tr("Fill the market store now, or later from the Data manager."),
            lambda: not self._busy,
        )
        self.files_button = QPushButton(_tr("Import CSV files…"), page)
        self.files_button.setObjectName("import_files_button")
        self.files_button.clicked.connect(self._on_import_files_clicked)
        self.folder_button = QPushButton(_tr("Import a folder…"), page)
        self.folder_button.setObjectName("import_folder_button")
        self.folder_button.clicked.connect(self._on_import_folder_clicked)
        self.bridge_button = QPushButton(_tr("Download daily history from the bridge"), page)
        self.bridge_button.setObjectName("import_bridge_button")
        self.bridge_button.clicked.connect(self.sig_import_bridge_requested)
        self.progress = QProgressBar(page)
        self.progress.setObjectName("import_progress")
        self.progress.hide()
        self.cancel_button = QPushButton(_tr("Cancel import"), page)
        self.cancel_button.setObjectName("cancel_import_button")
        self.cancel_button.clicked.connect(self.sig_cancel_import_requested)
        self.cancel_button.hide()
        self.import_label = _label("", page, "import_label")
        buttons = QHBoxLayout()
        for button in (self.files_button, self.folder_button, self.bridge_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        progress = QHBoxLayout()
        progress.addWidget(self.progress, 1)
        progress.addWidget(self.cancel_button)
        layout = QVBoxLayout(page)
        layout.addWidget(
            _label(
                _tr(
                    "Daily or 1-minute bars as CSV (one file per symbol, Chinese headers and GBK "
                    "accepted) or index membership files. You can skip this step: the demo data "
                    "is used until the store holds bars."
                ),
                page,
            )
        )
        layout.addLayout(buttons)
        layout.addLayout(progress)
        layout.addWidget(self.import_label)
        layout.addStretch(1)
        return page

    def _finish_page(self) -> QWizardPage:
        page = _Page(_tr("Ready"), _tr("QDesk opens on the quote board and the chart."), lambda: not self._busy)
        self.summary_label = _label("", page, "summary_label")
        self.summary_label.setStyleSheet("line-height: 150%")
        layout = QVBoxLayout(page)
        layout.addWidget(self.summary_label)
        layout.addStretch(1)
        page.setFinalPage(True)
        return page

    # -- state the presenter reads and sets ---------------------------------------------------
    def mode(self) -> str:
        return BRIDGE if self.bridge_radio.isChecked() else DEMO

    def connection_ok(self) -> bool:
        return self._connected_with == (self.url_edit.text().strip(), self.token_edit.text())

    def choices(self) -> FirstRunChoices:
        bridge = self.mode() == BRIDGE
        return FirstRunChoices(
            self.data_edit.text().strip(),
            self.mode(),
            self.url_edit.text().strip() if bridge else "",
            self.ca_edit.text().strip() if bridge else "",
        )

    def show_keyring_problem(self, text: str) -> None:
        self.keyring_label.setText(text)
        self.keyring_label.setVisible(bool(text))

    def show_connection_testing(self) -> None:
        self.test_button.setEnabled(False)
        _show_status(self.connection_label, _tr("Connecting…"), error=None)

    def show_connection_result(self, ok: bool, text: str, url: str = "", token: str = "") -> None:
        self.test_button.setEnabled(True)
        self._connected_with = (url, token) if ok else None
        _show_status(self.connection_label, text, error=not ok)
        self.page(PAGE_SOURCE).completeChanged.emit()

    def show_import_started(self, text: str) -> None:
        self._set_busy(True)
        self.progress.setRange(0, 0)
        self.progress.show()
        self.cancel_button.show()
        _show_status(self.import_label, text, error=None)

    def show_import_progress(self, done: int, total: int, text: str) -> None:
        self.progress.setRange(0, max(total, 1))
        self.progress.setValue(done)
        _show_status(self.import_label, text, error=None)

    def show_import_finished(self, text: str, error: bool) -> None:
        self._set_busy(False)
        self.progress.hide()
        self.cancel_button.hide()
        _show_status(self.import_label, text, error=error)

    def show_summary(self, text: str) -> None:
        self.summary_label.setText(text)

    def _set_busy(self, busy: bool) -> None:
        self._busy = busy
        for button in (self.files_button, self.folder_button, self.bridge_button):
            button.setEnabled(not busy)
        self.bridge_button.setEnabled(not busy and self.mode() == BRIDGE and self.connection_ok())
        self.page(PAGE_IMPORT).completeChanged.emit()
        self.page(PAGE_FINISH).completeChanged.emit()

    # -- slots ---------------------------------------------------------------------------------
    def _on_mode_toggled(self) -> None:
        self.bridge_box.setEnabled(self.mode() == BRIDGE)
        self._source_changed()

    def _on_bridge_field_changed(self) -> None:
        if not self.connection_ok():
            self.connection_label.hide()
        self._source_changed()

    def _source_changed(self) -> None:
        page = self.page(PAGE_SOURCE)
        if page is not None:  # None while the page itself is being built
            page.completeChanged.emit()

    def _on_test_clicked(self) -> None:
        self.sig_test_connection_requested.emit(
            self.url_edit.text().strip(), self.token_edit.text(), self.ca_edit.text().strip()
        )

    def _on_wizard_current_id_changed(self, page_id: int) -> None:
        if page_id == PAGE_IMPORT:
            self._set_busy(self._busy)  # the bridge button follows the source chosen on the previous page

    def _on_browse_data_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _tr("Data folder"), self.data_edit.text())
        if folder:
            self.data_edit.setText(folder)

    def _on_browse_ca_clicked(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self, _tr("TLS certificate"), "", _tr("Certificates (*.pem *.crt)"))
        if path:
            self.ca_edit.setText(path)

    def _on_import_files_clicked(self) -> None:
        paths, _ = QFileDialog.getOpenFileNames(
            self, _tr("Import CSV files"), "", _tr("Market data (*.csv *.csv.gz *.txt)")
        )
        if paths:
            self.sig_import_files_requested.emit(paths)

    def _on_import_folder_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _tr("Import a folder"))
        if folder:
            self.sig_import_files_requested.emit([folder])
