"""First-start wizard presenter: live bridge test, token to the keyring only, imports as jobs, settings on finish."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from keyring.backends import fail
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.first_run_presenter import FirstRunOutcome, FirstRunPresenter, run_first_start
from core.bridge.auth import TokenStore
from core.bridge.server.runner import ServeOptions, ServerThread
from core.bridge.service import BridgeService
from core.bridge.sources.history import StoreHistory
from core.bridge.sources.sim import SimSource
from core.data.importer import import_files
from core.secrets import BRIDGE_TOKEN_SERVICE, NO_KEYRING, SecretStore
from core.settings import AppSettings, load_settings
from core.storage.market_store import MarketStore
from tests.fakes.memory_keyring import MemoryKeyring
from widgets.first_run_wizard import PAGE_FINISH, PAGE_IMPORT, PAGE_SOURCE, FirstRunWizard

WAIT_MS = 20_000


def _slice(cn_data: Path, symbol: str, folder: Path, since: str = "2022-07-01") -> Path:
    """A small real file: one symbol's daily bars from `since` to the end of the fixture (2022-12-30)."""
    lines = (cn_data / "daily" / f"{symbol}.csv").read_text(encoding="utf-8").splitlines()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{symbol}.csv"
    path.write_text("\n".join([lines[0]] + [ln for ln in lines[1:] if ln[:10] >= since]) + "\n", encoding="utf-8")
    return path


@contextmanager
def _bridge(tmp_path: Path, history: Path | None = None) -> Iterator[tuple[str, str]]:
    """A real QDesk Bridge on 127.0.0.1 (sim source, optional stored history); yields (url, token)."""
    tokens = TokenStore(tmp_path / "bridge-config" / "bridge.json")
    token = tokens.create("test")
    source = SimSource(n_symbols=7, history=StoreHistory(history) if history else None)
    server = ServerThread(BridgeService(source, tokens), ServeOptions(host="127.0.0.1", port=0))
    address = server.start()
    try:
        yield address.http_url, token
    finally:
        server.stop()


def _presenter(qtbot: QtBot, tmp_path: Path, backend: object | None = None) -> tuple[FirstRunPresenter, MemoryKeyring]:
    keyring = MemoryKeyring()
    used = backend if backend is not None else keyring
    wizard = FirstRunWizard(str(tmp_path / "data"))
    qtbot.addWidget(wizard)
    presenter = FirstRunPresenter(
        wizard,
        AppSettings(),
        tmp_path / "config" / "settings.json",
        SecretStore(BRIDGE_TOKEN_SERVICE, used),
        keyring_backend=used,
    )
    return presenter, keyring


def _test_connection(qtbot: QtBot, presenter: FirstRunPresenter, url: str, token: str) -> str:
    wizard = presenter.wizard
    wizard.bridge_radio.setChecked(True)
    wizard.url_edit.setText(url)
    wizard.token_edit.setText(token)
    with qtbot.waitSignal(presenter.connection.sig_finished, timeout=WAIT_MS):
        wizard.test_button.click()
    return wizard.connection_label.text()


def test_a_good_token_connects_and_goes_to_the_keyring_only(qtbot: QtBot, tmp_path: Path) -> None:
    presenter, keyring = _presenter(qtbot, tmp_path)
    with _bridge(tmp_path) as (url, token):
        message = _test_connection(qtbot, presenter, url, token)
    assert message.startswith("Connected to QDesk Bridge 0.1.0 (source: sim).")
    assert "kept in the OS keyring" in message
    assert keyring.secrets == {(BRIDGE_TOKEN_SERVICE, url): token}
    assert presenter.wizard.page(PAGE_SOURCE).isComplete()

    presenter.wizard.accept()
    saved = (tmp_path / "config" / "settings.json").read_text(encoding="utf-8")
    assert token not in saved
    assert load_settings(tmp_path / "config" / "settings.json").bridge_url == url


def test_a_refused_token_says_so_and_stores_nothing(qtbot: QtBot, tmp_path: Path) -> None:
    presenter, keyring = _presenter(qtbot, tmp_path)
    with _bridge(tmp_path) as (url, _):
        message = _test_connection(qtbot, presenter, url, "not-the-token")
    assert message.startswith("The bridge refused the token.")
    assert keyring.secrets == {}
    assert not presenter.wizard.page(PAGE_SOURCE).isComplete()


def test_an_unreachable_bridge_and_bad_input_are_explained(qtbot: QtBot, tmp_path: Path) -> None:
    presenter, _ = _presenter(qtbot, tmp_path)
    with socket.socket() as sock:  # a port that was free a moment ago: nothing listens there
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    assert _test_connection(qtbot, presenter, f"http://127.0.0.1:{port}", "t").startswith(
        "Cannot reach the bridge: cannot reach the bridge at http://127.0.0.1:"
    )
    wizard = presenter.wizard
    wizard.url_edit.setText("192.168.1.20:8765")
    wizard.test_button.click()
    assert wizard.connection_label.text() == "The bridge URL must start with http:// or https://"
    wizard.url_edit.setText("https://192.168.1.20:8765")
    wizard.token_edit.setText("")
    wizard.test_button.click()
    assert wizard.connection_label.text() == "Enter the token the bridge showed at its first start."


def test_without_a_keyring_the_token_is_not_saved_anywhere(qtbot: QtBot, tmp_path: Path) -> None:
    presenter, _ = _presenter(qtbot, tmp_path, backend=fail.Keyring())
    wizard = presenter.wizard
    assert wizard.keyring_label.text().startswith("No OS keyring was found")
    with _bridge(tmp_path) as (url, token):
        message = _test_connection(qtbot, presenter, url, token)
    assert message.startswith("Connected") and "kept in the OS keyring" not in message
    assert wizard.keyring_label.text() == NO_KEYRING[0].upper() + NO_KEYRING[1:] + "."
    wizard.accept()
    config = tmp_path / "config"
    assert all(token not in p.read_text(encoding="utf-8", errors="replace") for p in config.rglob("*") if p.is_file())


def test_importing_files_is_a_job_with_progress(qtbot: QtBot, tmp_path: Path, cn_data: Path) -> None:
    presenter, _ = _presenter(qtbot, tmp_path)
    files = [str(_slice(cn_data, s, tmp_path / "csv")) for s in ("600000.SH", "000001.SZ")]
    steps: list[object] = []
    presenter.importer.sig_reported.connect(steps.append)
    with qtbot.waitSignal(presenter.importer.sig_finished, timeout=WAIT_MS):
        presenter.wizard.sig_import_files_requested.emit(files)
        assert not presenter.wizard.page(PAGE_IMPORT).isComplete()  # Next waits while it runs
    assert [(s.done, s.total) for s in steps] == [(1, 2), (2, 2)]  # type: ignore[attr-defined]
    assert presenter.wizard.page(PAGE_IMPORT).isComplete()
    store = MarketStore.open(tmp_path / "data" / "market.sqlite")
    try:
        assert sorted(s.symbol for s in store.series("1d")) == ["000001.SZ", "600000.SH"]
        rows = sum(s.rows for s in store.series("1d"))
    finally:
        store.close()
    assert presenter.imported_rows == rows > 200
    assert presenter.wizard.import_label.text() == f"{rows:,} rows stored."
    presenter.wizard.accept()
    assert presenter.outcome(True).demo is False


def test_a_bad_file_is_reported_and_cancel_keeps_what_was_imported(qtbot: QtBot, tmp_path: Path, cn_data: Path) -> None:
    presenter, _ = _presenter(qtbot, tmp_path)
    bad = tmp_path / "csv" / "600004.SH.csv"
    good = _slice(cn_data, "600004.SH", tmp_path / "csv")
    lines = good.read_text().splitlines()
    bad.write_text("\n".join(lines[:3] + ["2022-09-01,x,1,1,1,1,1,1"] + lines[3:]) + "\n")
    with qtbot.waitSignal(presenter.importer.sig_finished, timeout=WAIT_MS):
        presenter.wizard.sig_import_files_requested.emit([str(bad)])
    text = presenter.wizard.import_label.text()
    assert text.startswith("0 rows stored.\n") and "600004.SH.csv:4: field 'open': not a number: 'x'" in text
    assert presenter.wizard.import_label.styleSheet() == "color: #c0392b"  # shown as an error

    many = [
        str(_slice(cn_data, s, tmp_path / "many", since="2022-12-01"))
        for s in ("600000.SH", "000001.SZ", "000002.SZ", "600004.SH", "600009.SH", "600010.SH")
    ]
    with qtbot.waitSignal(presenter.importer.sig_finished, timeout=WAIT_MS) as finished:
        presenter.wizard.sig_import_files_requested.emit(many)
        presenter.wizard.cancel_button.click()
    assert finished.args[0].cancelled
    assert presenter.wizard.import_label.text() == "Import cancelled; what was imported so far is kept."
    store = MarketStore.open(tmp_path / "data" / "market.sqlite")
    try:
        assert len(store.series("1d")) < len(many)
    finally:
        store.close()


def test_daily_history_comes_from_the_bridge(qtbot: QtBot, tmp_path: Path, cn_data: Path) -> None:
    # The bridge answers /v1/bars from a store of its own, holding real bars of 600000.SH.
    bridge_store = tmp_path / "bridge-store" / "market.sqlite"
    source = MarketStore.open(bridge_store)
    try:
        list(import_files(source, [_slice(cn_data, "600000.SH", tmp_path / "bridge-csv")], "1d"))
        expected = source.series("1d")[0].rows
    finally:
        source.close()
    presenter, _ = _presenter(qtbot, tmp_path)
    presenter.history_years = 6  # the fixture ends in 2022
    with _bridge(tmp_path, history=bridge_store) as (url, token):
        _test_connection(qtbot, presenter, url, token)
        with qtbot.waitSignal(presenter.importer.sig_finished, timeout=WAIT_MS) as finished:
            presenter.wizard.sig_import_bridge_requested.emit()
    assert finished.args[0].error is None and not finished.args[0].cancelled
    store = MarketStore.open(tmp_path / "data" / "market.sqlite")
    try:
        assert [(s.symbol, s.rows) for s in store.series("1d")] == [("600000.SH", expected)]
    finally:
        store.close()


def test_finish_page_summarises_and_cancel_leaves_settings_as_they_were(qtbot: QtBot, tmp_path: Path) -> None:
    presenter, _ = _presenter(qtbot, tmp_path)
    wizard = presenter.wizard
    wizard.show()
    for _ in range(3):
        wizard.next()
    assert wizard.currentId() == PAGE_FINISH
    assert "Market store: empty for now, so QDesk starts on the demo data." in wizard.summary_label.text()
    outcomes: list[FirstRunOutcome] = []
    presenter.sig_done.connect(outcomes.append)
    wizard.reject()
    assert outcomes[0].completed is False and outcomes[0].data_dir == tmp_path / "data"
    assert load_settings(tmp_path / "config" / "settings.json") == AppSettings()


def test_first_start_runs_the_wizard_modally_and_saves_the_choices(
    qtbot: QtBot, qapp: QApplication, tmp_path: Path
) -> None:
    from PySide6.QtCore import QTimer

    chosen = tmp_path / "chosen"

    def click_through() -> None:
        wizard = QApplication.activeModalWidget()
        if not isinstance(wizard, FirstRunWizard):
            QTimer.singleShot(20, click_through)
            return
        wizard.data_edit.setText(str(chosen))
        for _ in range(3):
            wizard.next()
        wizard.accept()

    QTimer.singleShot(0, click_through)
    outcome = run_first_start(AppSettings(), tmp_path / "config" / "settings.json", tmp_path / "default")
    assert outcome.completed and outcome.demo and outcome.data_dir == chosen
    assert chosen.is_dir()
    assert load_settings(tmp_path / "config" / "settings.json").data_dir == str(chosen)


@pytest.mark.parametrize("lang", ["en"])
def test_desktop_shows_the_wizard_only_without_a_settings_file(
    qtbot: QtBot, qapp: QApplication, tmp_path: Path, lang: str
) -> None:
    from PySide6.QtCore import QTimer
    from PySide6.QtGui import QAction

    from app.desktop import run_desktop
    from widgets.main_window import MainWindow

    seen: list[str] = []

    def drive() -> None:
        modal = QApplication.activeModalWidget()
        if isinstance(modal, FirstRunWizard):
            seen.append("wizard")
            modal.accept()
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if windows:
            window = windows[0]
            seen.append("chart visible" if window.dock("chart").isVisible() else "chart hidden")
            seen.append("wizard action" if window.findChild(QAction, "first_run_action") else "no action")
            window.close()
            return
        QTimer.singleShot(50, drive)

    def drop_closed_windows() -> None:
        # A closed main window outlives run_desktop with its presenters' timers; later tests must not
        # see those timers fire on the store run_desktop has closed.
        import shiboken6

        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and not widget.isVisible():
                shiboken6.delete(widget)

    settings_path = tmp_path / "config" / "settings.json"
    QTimer.singleShot(0, drive)
    try:
        assert run_desktop(tmp_path / "data", False, lang, None, settings_path=settings_path) == 0
    finally:
        drop_closed_windows()
    assert seen[0] == "wizard" and "chart visible" in seen and "wizard action" in seen
    assert settings_path.exists()

    seen.clear()
    QTimer.singleShot(0, drive)
    try:
        assert (
            run_desktop(
                tmp_path / "data", False, lang, None, settings=load_settings(settings_path), settings_path=settings_path
            )
            == 0
        )
    finally:
        drop_closed_windows()
    assert "wizard" not in seen and seen  # the second start goes straight to the window


def test_the_chosen_certificate_is_saved_with_the_bridge(qtbot: QtBot, tmp_path: Path) -> None:
    """The live, trading and data-update clients read it from the settings, so it must be kept there."""
    presenter, _ = _presenter(qtbot, tmp_path)
    cert = tmp_path / "bridge-cert.pem"
    cert.write_text("-----BEGIN CERTIFICATE-----\n", encoding="utf-8")
    wizard = presenter.wizard
    wizard.bridge_radio.setChecked(True)
    wizard.url_edit.setText("https://192.168.1.20:8765")
    wizard.ca_edit.setText(str(cert))
    wizard.accept()
    saved = load_settings(tmp_path / "config" / "settings.json")
    assert saved.bridge_url == "https://192.168.1.20:8765" and saved.bridge_ca_file == str(cert)
