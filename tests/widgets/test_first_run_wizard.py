"""FirstRunWizard view: page order, what each page needs before Next, no token in the choices, Chinese texts."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QApplication, QWizard
from pytestqt.qtbot import QtBot

from app.i18n import installed_language
from widgets.first_run_wizard import (
    BRIDGE,
    DEMO,
    PAGE_DATA,
    PAGE_FINISH,
    PAGE_IMPORT,
    PAGE_SOURCE,
    FirstRunChoices,
    FirstRunWizard,
)


def _wizard(qtbot: QtBot, data_dir: str = "/tmp/qdesk-data") -> FirstRunWizard:
    wizard = FirstRunWizard(data_dir)
    qtbot.addWidget(wizard)
    wizard.show()
    return wizard


def test_demo_mode_walks_straight_through(qtbot: QtBot) -> None:
    wizard = _wizard(qtbot)
    assert wizard.currentId() == PAGE_DATA and wizard.page(PAGE_DATA).isComplete()
    wizard.next()
    assert wizard.currentId() == PAGE_SOURCE and wizard.mode() == DEMO
    assert wizard.page(PAGE_SOURCE).isComplete() and not wizard.bridge_box.isEnabled()
    wizard.next()
    assert wizard.currentId() == PAGE_IMPORT and not wizard.bridge_button.isEnabled()
    wizard.next()
    assert wizard.currentId() == PAGE_FINISH
    assert wizard.button(QWizard.WizardButton.FinishButton).text() == "Open QDesk"
    assert wizard.choices() == FirstRunChoices("/tmp/qdesk-data", DEMO, "", "")


def test_an_empty_data_folder_blocks_next(qtbot: QtBot) -> None:
    wizard = _wizard(qtbot)
    wizard.data_edit.setText("  ")
    assert not wizard.page(PAGE_DATA).isComplete()
    assert not wizard.button(QWizard.WizardButton.NextButton).isEnabled()


def test_bridge_mode_needs_a_passed_test_for_the_url_and_token_shown(qtbot: QtBot) -> None:
    wizard = _wizard(qtbot)
    wizard.next()
    wizard.bridge_radio.setChecked(True)
    assert wizard.bridge_box.isEnabled() and not wizard.page(PAGE_SOURCE).isComplete()
    wizard.url_edit.setText("https://10.0.0.5:8765")
    wizard.token_edit.setText("secret-token")
    requests: list[tuple[str, str, str]] = []
    wizard.sig_test_connection_requested.connect(lambda *args: requests.append(args))
    wizard.test_button.click()
    assert requests == [("https://10.0.0.5:8765", "secret-token", "")]

    wizard.show_connection_result(True, "Connected", "https://10.0.0.5:8765", "secret-token")
    assert wizard.page(PAGE_SOURCE).isComplete() and wizard.connection_label.isVisible()
    # Editing the token after the test means the test no longer vouches for it.
    wizard.token_edit.setText("secret-token2")
    assert not wizard.page(PAGE_SOURCE).isComplete() and not wizard.connection_label.isVisible()
    wizard.token_edit.setText("secret-token")
    assert wizard.page(PAGE_SOURCE).isComplete()
    wizard.next()
    assert wizard.bridge_button.isEnabled()
    choices = wizard.choices()
    assert choices == FirstRunChoices(wizard.data_edit.text(), BRIDGE, "https://10.0.0.5:8765", "")
    assert "secret-token" not in repr(choices)


def test_a_running_import_holds_the_wizard_until_it_ends(qtbot: QtBot) -> None:
    wizard = _wizard(qtbot)
    wizard.next()
    wizard.next()
    wizard.show_import_started("Importing…")
    assert not wizard.page(PAGE_IMPORT).isComplete() and not wizard.files_button.isEnabled()
    assert wizard.cancel_button.isVisible()
    wizard.show_import_progress(3, 10, "600000.SH.csv")
    assert (wizard.progress.value(), wizard.progress.maximum()) == (3, 10)
    wizard.show_import_finished("1,234 rows stored.", error=False)
    assert wizard.page(PAGE_IMPORT).isComplete() and not wizard.cancel_button.isVisible()
    assert wizard.import_label.text() == "1,234 rows stored."


def test_the_wizard_in_chinese(qtbot: QtBot, qapp: QApplication, tmp_path: Path) -> None:
    with installed_language(qapp, "zh_CN"):
        wizard = _wizard(qtbot, str(tmp_path))
        assert wizard.windowTitle() == "欢迎使用 QDesk"
        assert wizard.page(PAGE_DATA).title() == "数据文件夹"
        assert wizard.demo_radio.text() == "演示模式：回放 QDesk 内置的真实日线行情"
        assert wizard.button(QWizard.WizardButton.FinishButton).text() == "打开 QDesk"


def test_enter_on_a_page_means_next_not_its_first_button(qtbot: QtBot) -> None:
    from PySide6.QtCore import Qt
    from PySide6.QtWidgets import QPushButton

    wizard = _wizard(qtbot)
    qtbot.waitExposed(wizard)
    page_buttons = [b for i in (PAGE_DATA, PAGE_SOURCE, PAGE_IMPORT) for b in wizard.page(i).findChildren(QPushButton)]
    assert page_buttons and not any(b.autoDefault() or b.isDefault() for b in page_buttons)
    wizard.next()
    wizard.next()
    assert wizard.currentId() == PAGE_IMPORT
    qtbot.keyClick(wizard, Qt.Key.Key_Return)
    assert wizard.currentId() == PAGE_FINISH
