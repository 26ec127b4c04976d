"""FirstRunPresenter: drives the first-start wizard — bridge test and token to the keyring, imports as jobs."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtGui import QAction, QIcon
from PySide6.QtWidgets import QMenu, QMessageBox, QWidget, QWizard

from app.first_run_jobs import BRIDGE_YEARS, ConnectionChecked, bridge_history_job, check_bridge_job, import_files_job
from app.job_runner import JobFinished, JobRunner
from app.resources import icon_path
from core.bridge.client.credentials import save_token
from core.jobs import Progress
from core.paths import store_path
from core.secrets import BRIDGE_TOKEN_SERVICE, SecretStore, SecretStoreUnavailable
from core.settings import AppSettings, save_settings
from widgets.first_run_wizard import BRIDGE, DEMO, FirstRunChoices, FirstRunWizard


def _tr(text: str) -> str:
    return QCoreApplication.translate("FirstRun", text)


@dataclass(frozen=True, slots=True)
class FirstRunOutcome:
    """What the desktop starts with after the wizard (also after Cancel: the settings as they were)."""

    data_dir: Path
    demo: bool
    settings: AppSettings
    completed: bool


class FirstRunPresenter(QObject):
    """Owns the wizard's work: one runner for connection tests, one for imports; saves settings on finish."""

    sig_done = Signal(object)  # FirstRunOutcome

    def __init__(
        self,
        wizard: FirstRunWizard,
        settings: AppSettings,
        settings_path: Path,
        secrets: SecretStore,
        keyring_backend: Any | None = None,
    ) -> None:
        super().__init__(wizard)
        self.wizard = wizard
        self.settings = settings
        self._settings_path = settings_path
        self._secrets = secrets
        self._keyring_backend = keyring_backend
        self._token = ""  # in memory only, for the bridge download; the keyring holds the saved copy
        self._pending = ("", "")
        self._initial_data_dir = Path(wizard.choices().data_dir).expanduser()
        self.history_years = BRIDGE_YEARS
        self.imported_rows = 0
        self.import_errors: list[str] = []
        self.connection = JobRunner(self)
        self.importer = JobRunner(self)
        self.connection.sig_reported.connect(self._on_connection_sig_reported)
        self.importer.sig_reported.connect(self._on_importer_sig_reported)
        self.importer.sig_finished.connect(self._on_importer_sig_finished)
        wizard.sig_test_connection_requested.connect(self._on_wizard_sig_test_connection_requested)
        wizard.sig_import_files_requested.connect(self._on_wizard_sig_import_files_requested)
        wizard.sig_import_bridge_requested.connect(self._on_wizard_sig_import_bridge_requested)
        wizard.sig_cancel_import_requested.connect(self.importer.cancel)
        wizard.currentIdChanged.connect(self._on_wizard_current_id_changed)
        wizard.accepted.connect(self._on_wizard_accepted)
        wizard.rejected.connect(self._on_wizard_rejected)
        if settings.bridge_url:
            wizard.url_edit.setText(settings.bridge_url)
        if not secrets.available():
            wizard.show_keyring_problem(
                _tr(
                    "No OS keyring was found, so the bridge token cannot be saved on this "
                    "machine; QDesk never writes it to a file. Install or unlock one "
                    "(macOS Keychain, Windows Credential Manager, GNOME Keyring/KWallet)."
                )
            )

    def store_file(self) -> Path:
        return store_path(Path(self.wizard.choices().data_dir).expanduser())

    # -- connection ----------------------------------------------------------------------------
    def _on_wizard_sig_test_connection_requested(self, url: str, token: str, ca_file: str) -> None:
        if not url.startswith(("http://", "https://")):
            self.wizard.show_connection_result(False, _tr("The bridge URL must start with http:// or https://"))
            return
        if not token:
            self.wizard.show_connection_result(False, _tr("Enter the token the bridge showed at its first start."))
            return
        if ca_file and not Path(ca_file).is_file():
            self.wizard.show_connection_result(False, _tr("Certificate file not found: {path}").format(path=ca_file))
            return
        self._pending = (url, token)
        self.wizard.show_connection_testing()
        self.connection.start("connect", check_bridge_job(url, token, ca_file))

    def _on_connection_sig_reported(self, checked: object) -> None:
        if not isinstance(checked, ConnectionChecked):
            return
        url, token = self._pending
        message = checked.message
        if checked.ok:
            self._token = token
            try:
                save_token(url, token, self._keyring_backend)
                message = _tr("{status} The token is kept in the OS keyring.").format(status=message)
            except SecretStoreUnavailable as exc:
                self.wizard.show_keyring_problem(str(exc)[0].upper() + str(exc)[1:] + ".")
        self.wizard.show_connection_result(checked.ok, message, url, token)

    # -- imports -------------------------------------------------------------------------------
    def _prepare_store(self) -> Path | None:
        if self.importer.busy:
            return None
        self.import_errors = []  # each import reports its own problems; rows add up across imports
        path = self.store_file()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            self.wizard.show_import_finished(
                _tr("Cannot create the data folder: {error}").format(error=exc.strerror or exc), error=True
            )
            return None
        return path

    def _on_wizard_sig_import_files_requested(self, paths: list[str]) -> None:
        path = self._prepare_store()
        if path is not None and self.importer.start("import", import_files_job(path, paths)):
            self.wizard.show_import_started(_tr("Importing…"))

    def _on_wizard_sig_import_bridge_requested(self) -> None:
        choices = self.wizard.choices()
        path = self._prepare_store()
        if (
            path is not None
            and self._token
            and self.importer.start(
                "bridge",
                bridge_history_job(choices.bridge_url, self._token, choices.ca_file, path, years=self.history_years),
            )
        ):
            self.wizard.show_import_started(_tr("Asking the bridge for its instruments…"))

    def _on_importer_sig_reported(self, report: object) -> None:
        if isinstance(report, Progress):
            file_report = getattr(report, "report", None)
            if file_report is not None:
                if file_report.ok:
                    self.imported_rows += file_report.inserted + file_report.updated
                else:
                    self.import_errors.append(str(file_report.error))
            self.wizard.show_import_progress(report.done, report.total, report.message)

    def _on_importer_sig_finished(self, finished: JobFinished) -> None:
        if finished.cancelled:
            text, error = _tr("Import cancelled; what was imported so far is kept."), False
        elif finished.error:
            text, error = _tr("Import failed: {error}").format(error=finished.error), True
        else:
            text = _tr("{rows} rows stored.").format(rows=f"{self.imported_rows:,}")
            error = bool(self.import_errors)
        if self.import_errors:
            text += "\n" + "\n".join(self.import_errors[:5])
        self.wizard.show_import_finished(text, error)

    # -- finish --------------------------------------------------------------------------------
    def _on_wizard_current_id_changed(self, page_id: int) -> None:
        from widgets.first_run_wizard import PAGE_FINISH

        if page_id == PAGE_FINISH:
            self.wizard.show_summary(self._summary(self.wizard.choices()))

    def _summary(self, choices: FirstRunChoices) -> str:
        lines = [_tr("Data folder: {path}").format(path=choices.data_dir)]
        if choices.mode == BRIDGE:
            lines.append(_tr("Bridge: {url}").format(url=choices.bridge_url))
        if self.imported_rows:
            lines.append(_tr("Market store: {rows} rows imported.").format(rows=f"{self.imported_rows:,}"))
        else:
            lines.append(_tr("Market store: empty for now, so QDesk starts on the demo data."))
        lines.append(_tr("Run this wizard again from Help → First-start wizard."))
        return "\n".join(lines)

    def outcome(self, completed: bool) -> FirstRunOutcome:
        choices = self.wizard.choices()
        if not completed:
            return FirstRunOutcome(self._initial_data_dir, False, self.settings, False)
        data_dir = Path(choices.data_dir).expanduser()
        return FirstRunOutcome(data_dir, choices.mode == DEMO and not self.imported_rows, self.settings, True)

    def _on_wizard_accepted(self) -> None:
        choices = self.wizard.choices()
        self.importer.cancel()
        self.settings = replace(
            self.settings,
            data_dir=choices.data_dir,
            bridge_url=choices.bridge_url.rstrip("/") if choices.mode == BRIDGE else "",
            bridge_ca_file=choices.ca_file if choices.mode == BRIDGE else "",
        ).validated()
        save_settings(self._settings_path, self.settings)
        with contextlib.suppress(OSError):  # the desktop's own start-up names the folder it cannot create
            Path(choices.data_dir).expanduser().mkdir(parents=True, exist_ok=True)
        self.sig_done.emit(self.outcome(True))

    def _on_wizard_rejected(self) -> None:
        self.importer.cancel()
        # Cancel means "not now": the settings file is written as it was, so the wizard does not come back
        # at every start; Help → First-start wizard opens it again.
        if not self._settings_path.exists():
            save_settings(self._settings_path, self.settings)
        self.sig_done.emit(self.outcome(False))


def _new_wizard(
    settings: AppSettings, settings_path: Path, data_dir: Path, parent: QWidget | None = None
) -> FirstRunPresenter:
    wizard = FirstRunWizard(settings.data_dir or str(data_dir), parent)
    icon = QIcon(str(icon_path()))
    wizard.setWindowIcon(icon)
    wizard.setPixmap(QWizard.WizardPixmap.LogoPixmap, icon.pixmap(48, 48))
    return FirstRunPresenter(wizard, settings, settings_path, SecretStore(BRIDGE_TOKEN_SERVICE))


def run_first_start(settings: AppSettings, settings_path: Path, data_dir: Path) -> FirstRunOutcome:
    """Show the wizard before the main window exists (no asyncio loop runs yet, so exec() is safe)."""
    presenter = _new_wizard(settings, settings_path, data_dir)
    outcomes: list[FirstRunOutcome] = []
    presenter.sig_done.connect(outcomes.append)
    presenter.wizard.exec()
    for runner in (presenter.importer, presenter.connection):
        runner.cancel()
        runner.wait(10)
    outcome = outcomes[-1] if outcomes else presenter.outcome(False)
    presenter.wizard.deleteLater()
    return outcome


def show_board_and_chart(window: Any) -> None:
    """Bring the quote board and the chart to the front: where the wizard promises to finish."""
    for key in ("quote_board", "chart"):
        if key in window.dock_keys():
            window.dock(key).show()
            window.dock(key).raise_()


def attach_first_run_action(
    window: QWidget, settings: AppSettings, settings_path: Path, data_dir: Path
) -> QAction | None:
    """Help → First-start wizard…: the same wizard, non-modal; what it saves applies at the next start."""
    menu = window.findChild(QMenu, "help_menu")
    if menu is None:
        return None
    action = QAction(_tr("First-start wizard…"), window)
    action.setObjectName("first_run_action")
    about = window.findChild(QAction, "about_action")
    if about is not None:
        menu.insertAction(about, action)  # above About, the menu's customary last entry
    else:
        menu.addAction(action)

    def open_wizard() -> None:
        presenter = _new_wizard(settings, settings_path, data_dir, window)

        def done(outcome: FirstRunOutcome) -> None:
            presenter.wizard.deleteLater()
            if outcome.completed:
                box = QMessageBox(
                    QMessageBox.Icon.Information,
                    _tr("First-start wizard"),
                    _tr("Saved. The data folder and the bridge apply at the next start."),
                    parent=window,
                )
                box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
                box.open()  # not exec(): no nested loop under the shared asyncio loop

        presenter.sig_done.connect(done)
        presenter.wizard.open()  # non-modal: the shared asyncio loop keeps running

    action.triggered.connect(open_wizard)
    return action
