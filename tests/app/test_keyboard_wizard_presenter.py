"""键盘精灵 finds a stock by a name learnt after the index was built (an instrument list from the bridge)."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.keyboard_wizard_presenter import KeyboardWizardPresenter
from widgets.chart_panel import ChartPanel


def test_names_learnt_later_are_found_once_the_index_is_forgotten(qtbot: QtBot) -> None:
    panel = ChartPanel()
    qtbot.addWidget(panel)
    entries = [("600000.SH", "")]
    presenter = KeyboardWizardPresenter(panel, lambda: list(entries), lambda _symbol: None)
    assert [row[0] for row in presenter.search("600000")] == ["600000.SH"]
    assert presenter.search("pfyh") == []
    entries[0] = ("600000.SH", "浦发银行")
    assert presenter.search("pfyh") == []  # the index built before the names came
    presenter.forget_index()
    assert presenter.search("pfyh")[0][:2] == ("600000.SH", "浦发银行")
