"""DockShell: holds one panel, shown at once when the shell is on screen."""

from __future__ import annotations

import pytest
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

from widgets.dock_shell import DockShell


def test_a_shell_shows_its_one_panel_at_once_and_refuses_a_second(qtbot: QtBot) -> None:
    shell = DockShell()
    qtbot.addWidget(shell)
    shell.show()
    qtbot.waitExposed(shell)
    assert shell.content is None
    panel = QLabel("panel")
    shell.set_content(panel)
    assert shell.content is panel and panel.parentWidget() is shell and panel.isVisible()
    with pytest.raises(ValueError, match="already holds its panel"):
        shell.set_content(QLabel("another"))
    assert shell.content is panel


def test_a_hidden_shell_shows_its_panel_with_itself(qtbot: QtBot) -> None:
    shell = DockShell()
    qtbot.addWidget(shell)
    panel = QLabel("panel")
    shell.set_content(panel)
    assert not panel.isVisible()
    shell.show()
    assert panel.isVisible()
