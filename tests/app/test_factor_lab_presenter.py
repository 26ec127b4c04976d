"""The Research dock's factor lab: operators complete as typed, an expression evaluates off the GUI thread on a
real store, and a typo is reported with its position before any work starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import QDate
from pytestqt.qtbot import QtBot

from app.factor_lab_presenter import FactorLabPresenter
from tests.cli.test_train_cli import data_dir  # noqa: F401  (a copy of the research slice's store)
from widgets.factor_lab_panel import FactorLabPanel


@pytest.fixture
def lab(qtbot: QtBot, data_dir: Path) -> tuple[FactorLabPanel, FactorLabPresenter]:  # noqa: F811
    panel = FactorLabPanel()
    qtbot.addWidget(panel)
    presenter = FactorLabPresenter(panel, data_dir)
    panel.start.setDate(QDate(2012, 1, 4))
    panel.end.setDate(QDate(2012, 12, 31))
    return panel, presenter


def test_an_expression_evaluates_and_shows_its_tear_sheet(
    qtbot: QtBot, lab: tuple[FactorLabPanel, FactorLabPresenter]
) -> None:
    panel, presenter = lab
    panel.expression_edit.setText("Ref($close, 5) / $close - 1")
    assert panel.charts_stack.currentWidget() is panel.empty_label  # a sentence until the first result
    panel.evaluate_button.click()
    assert not panel.evaluate_button.isEnabled() and panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not presenter.runner.busy, timeout=120_000)
    result = presenter.result
    assert result is not None, panel.status.text()
    rows = {panel.metrics_table.item(r, 0).text(): panel.metrics_table.item(r, 1).text() for r in range(8)}
    assert rows["Rank IC"] == f"{result.summary['rank_ic']:.4f}"
    assert panel.charts_stack.currentWidget() is panel.charts
    xs, ys = panel.charts.rank_ic_curve.getData()
    assert list(xs) == sorted(result.decay) and list(ys) == [result.decay[h][1] for h in sorted(result.decay)]
    assert "days scored" in panel.status.text() and panel.evaluate_button.isEnabled()


def test_a_typo_is_reported_with_its_position_and_nothing_runs(
    qtbot: QtBot, lab: tuple[FactorLabPanel, FactorLabPresenter]
) -> None:
    panel, presenter = lab
    panel.expression_edit.setText("Corr($close, $vol, 10)")
    panel.evaluate_button.click()
    assert not presenter.runner.busy
    assert "position 14 (Corr): unknown field $vol" in panel.status.text()


def test_typing_an_operator_prefix_offers_it_and_choosing_inserts_the_call(
    qtbot: QtBot, lab: tuple[FactorLabPanel, FactorLabPresenter]
) -> None:
    panel, _ = lab
    panel.show()
    edit = panel.expression_edit
    edit.clear()
    edit.setFocus()
    qtbot.keyClicks(edit, "Mean($cl")
    completer = panel.completer
    assert completer.completionPrefix() == "$cl" and completer.currentCompletion() == "$close"
    completer.activated.emit("$close")
    assert edit.text() == "Mean($close"
    qtbot.keyClicks(edit, ", 5) / Co")
    assert {completer.completionModel().index(i, 0).data() for i in range(completer.completionCount())} == {
        "Corr",
        "Count",
        "Cov",
    }
    completer.activated.emit("Corr")
    assert edit.text() == "Mean($close, 5) / Corr(" and edit.cursorPosition() == len(edit.text())
