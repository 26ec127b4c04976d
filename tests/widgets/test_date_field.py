"""The date field offscreen: a whole date typed over the old one, the calendar, and text it cannot read."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QDate, Qt
from pytestqt.qtbot import QtBot

from widgets.backtest_panel import BacktestPanel
from widgets.date_field import DateField, parse_date


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2019-05-06", QDate(2019, 5, 6)),
        ("20190506", QDate(2019, 5, 6)),
        ("2019/5/6", QDate(2019, 5, 6)),
        (" 2019.05.06 ", QDate(2019, 5, 6)),
        ("2019-02-30", None),
        ("2019", None),
        ("06/05/2019", None),
    ],
)
def test_dates_are_read_as_a_researcher_types_them(text: str, expected: QDate | None) -> None:
    assert parse_date(text) == expected


def test_a_whole_date_typed_over_the_old_one_takes_effect(qtbot: QtBot) -> None:
    field = DateField(QDate(2017, 1, 3))
    qtbot.addWidget(field)
    field.show()
    seen: list[QDate] = []
    field.dateChanged.connect(seen.append)
    field.edit.setFocus()
    field.edit.selectAll()
    qtbot.keyClicks(field.edit, "20190506")
    qtbot.keyClick(field.edit, Qt.Key.Key_Return)
    assert field.date() == QDate(2019, 5, 6) and field.text() == "2019-05-06" and seen == [QDate(2019, 5, 6)]


def test_text_it_cannot_read_is_marked_and_the_last_good_date_stays(qtbot: QtBot) -> None:
    field = DateField(QDate(2017, 1, 3))
    qtbot.addWidget(field)
    field.edit.selectAll()
    qtbot.keyClicks(field.edit, "2019-13-01")
    qtbot.keyClick(field.edit, Qt.Key.Key_Return)
    assert not field.is_valid() and field.date() == QDate(2017, 1, 3)
    assert "border" in field.edit.styleSheet()
    field.setDate(QDate(2018, 2, 1))
    assert field.is_valid() and field.edit.styleSheet() == ""


def test_the_calendar_sets_the_date(qtbot: QtBot) -> None:
    field = DateField(QDate(2017, 1, 3))
    qtbot.addWidget(field)
    field.calendar.clicked.emit(QDate(2020, 8, 24))
    assert field.date() == QDate(2020, 8, 24) and field.text() == "2020-08-24"


def test_the_backtest_panel_refuses_a_period_it_cannot_read(qtbot: QtBot) -> None:
    panel = BacktestPanel()
    qtbot.addWidget(panel)
    asked: list[dict[str, object]] = []
    panel.sig_run_requested.connect(asked.append)
    panel.end.edit.setText("2020-12-32")
    panel.run_button.click()
    assert asked == [] and panel.status.text().startswith("End: cannot read the date '2020-12-32'")
    panel.end.edit.setText("20201231")
    panel.start.edit.setText("2019-01-02")
    panel.run_button.click()
    assert len(asked) == 1 and (asked[0]["start"], asked[0]["end"]) == ("2019-01-02", "2020-12-31")
