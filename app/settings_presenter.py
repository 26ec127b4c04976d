"""SettingsPresenter: validates the dialog's form, saves settings, keeps the token in the OS keyring."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from core.routine.schedule import parse_close_at
from core.secrets import SecretStore, SecretStoreUnavailable
from core.settings import AppSettings, save_settings
from core.trading.limits import LimitsError, limits_from_mapping
from core.trading.service import TradingService
from widgets.settings_dialog import SettingsDialog, SettingsForm


def _tr(text: str) -> str:
    return QCoreApplication.translate("Settings", text)


class SettingsPresenter(QObject):
    """Opens the dialog on request; applies what can change live (colours, risk limits), says what needs a restart."""

    def __init__(
        self,
        parent: QObject,
        settings: AppSettings,
        settings_path: Path,
        secrets: SecretStore,
        on_applied: Callable[[AppSettings], None],
        trading: TradingService | None = None,
    ) -> None:
        super().__init__(parent)
        self.settings = settings
        self._path = settings_path
        self._secrets = secrets
        self._on_applied = on_applied
        self._trading = trading  # the session's account: new risk limits apply to it at once
        self.dialog: SettingsDialog | None = None
        self.notice: QMessageBox | None = None

    def open(self, parent_widget: QWidget | None = None) -> SettingsDialog:
        s = self.settings
        form = SettingsForm(
            s.bridge_url,
            None,
            s.data_dir,
            s.red_up,
            s.theme,
            s.language,
            s.trading_mode,
            dict(s.risk_limits),
            s.queue_release_at,
            s.routine_run,
            s.routine_close_at,
            s.routine_topk,
            s.routine_n_drop,
            s.routine_retrain,
            s.routine_retrain_window,
        )
        token_stored = bool(s.bridge_url) and self._secrets.get(s.bridge_url) is not None
        self.dialog = SettingsDialog(form, token_stored, parent_widget)
        self.dialog.sig_save_requested.connect(self._on_dialog_sig_save_requested)
        if not self._secrets.available():
            self.dialog.show_message(_tr("No OS keyring found: a bridge token cannot be saved on this machine."))
        self.dialog.show()
        return self.dialog

    def _on_dialog_sig_save_requested(self, form: SettingsForm) -> None:
        assert self.dialog is not None
        if form.bridge_url and not form.bridge_url.startswith(("http://", "https://")):
            self.dialog.show_message(_tr("The bridge URL must start with http:// or https://"))
            return
        if form.token is not None and not form.bridge_url:
            self.dialog.show_message(_tr("Enter the bridge URL the token belongs to."))
            return
        try:
            limits = limits_from_mapping(form.risk_limits, "Settings → Orders")
        except LimitsError as exc:
            self.dialog.show_message(str(exc))
            return
        try:
            parse_close_at(form.routine_close_at)
        except ValueError as exc:
            self.dialog.show_message(str(exc)[0].upper() + str(exc)[1:] + ".")
            return
        try:
            if form.routine_retrain:
                # Here, not at the top: the retrain module brings the research stack, which launch never needs.
                from core.routine.retrain import RetrainSchedule

                RetrainSchedule.parse(form.routine_retrain, form.routine_retrain_window or None)
        except ValueError as exc:
            self.dialog.show_message(_tr("Retrain the run every: {reason}.").format(reason=exc))
            return
        if form.routine_n_drop > form.routine_topk:
            self.dialog.show_message(_tr("The daily routine drops at most TopK names a day."))
            return
        if form.token is not None:
            try:
                self._secrets.set(form.bridge_url, form.token)
            except SecretStoreUnavailable as exc:
                # Nothing is saved: a token the user typed must not silently vanish or land in a file.
                self.dialog.show_message(str(exc)[0].upper() + str(exc)[1:] + ".")
                return
        new = replace(
            self.settings,
            bridge_url=form.bridge_url,
            data_dir=form.data_dir,
            red_up=form.red_up,
            theme=form.theme,
            language=form.language,
            trading_mode=form.trading_mode,
            risk_limits=dict(form.risk_limits),
            queue_release_at=form.queue_release_at,
            routine_run=form.routine_run,
            routine_close_at=form.routine_close_at,
            routine_topk=form.routine_topk,
            routine_n_drop=form.routine_n_drop,
            routine_retrain=form.routine_retrain,
            routine_retrain_window=form.routine_retrain_window,
        ).validated()
        restart = (new.data_dir, new.language, new.bridge_url, new.trading_mode) != (
            self.settings.data_dir,
            self.settings.language,
            self.settings.bridge_url,
            self.settings.trading_mode,
        ) or _routine(new) != _routine(self.settings)
        save_settings(self._path, new)
        self.settings = new
        if self._trading is not None:
            self._trading.set_limits(limits, actor="settings")  # the next order is checked against them
        self._on_applied(new)
        # Save closes the dialog either way; what waits for a restart is said in a note that stays behind.
        self.dialog.accept()
        if restart:
            notice = QMessageBox(
                QMessageBox.Icon.Information,
                _tr("Settings saved"),
                _tr("Saved. Data folder, language, bridge, orders account and daily routine change at the next start."),
                parent=self.dialog.parentWidget(),
            )
            notice.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
            notice.open()  # non-modal: a nested exec() loop would stall the shared asyncio loop
            self.notice = notice


def _routine(s: AppSettings) -> tuple[object, ...]:
    """What the daily schedule is built from at start."""
    return (
        s.routine_run,
        s.routine_close_at,
        s.routine_topk,
        s.routine_n_drop,
        s.routine_retrain,
        s.routine_retrain_window,
    )
