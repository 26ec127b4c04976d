"""DateField: a date typed whole (2019-05-06, 20190506, 2019/5/6) or picked from a calendar.

QDateEdit edits one section at a time: selecting its text and typing a new date leaves the old one, which
is not how a researcher enters a backtest period. Here the text is free while typing and read on Enter or
when focus leaves; a date that cannot be read is marked and the last good date stays in force.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QCoreApplication, QDate, Qt, Signal
from PySide6.QtWidgets import QCalendarWidget, QHBoxLayout, QLineEdit, QMenu, QToolButton, QWidget, QWidgetAction

_DISPLAY = "yyyy-MM-dd"
_PARTS = re.compile(r"^\s*(\d{4})[-/.]?(\d{1,2})[-/.]?(\d{1,2})\s*$")
_COMPACT = re.compile(r"^\s*(\d{4})(\d{2})(\d{2})\s*$")


def _tr(text: str) -> str:
    return QCoreApplication.translate("DateField", text)


def parse_date(text: str) -> QDate | None:
    """The date `text` names (year, month, day; separators -, / or . optional); None when it names none."""
    match = _COMPACT.match(text) or _PARTS.match(text)
    if match is None:
        return None
    date = QDate(int(match[1]), int(match[2]), int(match[3]))
    return date if date.isValid() else None


class DateField(QWidget):
    """A line edit for typing a date and a button that opens a calendar; `date()` is the date in force."""

    dateChanged = Signal(QDate)  # noqa: N815 (named as QDateEdit's, whose place it takes)

    def __init__(self, date: QDate, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._date = date
        self.edit = QLineEdit(date.toString(_DISPLAY), self)
        self.edit.setPlaceholderText("YYYY-MM-DD")
        self.edit.setToolTip(_tr("Type a date such as 2019-05-06 or 20190506, or pick one from the calendar"))
        self.edit.editingFinished.connect(self._on_edit_editing_finished)
        self.edit.textEdited.connect(self._on_edit_text_edited)
        self.calendar = QCalendarWidget(self)
        self.calendar.setGridVisible(True)
        self.calendar.clicked.connect(self._on_calendar_clicked)
        menu = QMenu(self)
        holder = QWidgetAction(menu)
        holder.setDefaultWidget(self.calendar)
        menu.addAction(holder)
        menu.aboutToShow.connect(self._on_menu_about_to_show)
        self.button = QToolButton(self)
        self.button.setArrowType(Qt.ArrowType.DownArrow)
        self.button.setStyleSheet("QToolButton::menu-indicator { image: none; }")  # the arrow says it already
        self.button.setToolTip(_tr("Pick a date"))
        self.button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.button.setMenu(menu)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(2)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.button)

    def date(self) -> QDate:
        """The date typed (read now, even before Enter), else the last good one."""
        return parse_date(self.edit.text()) or self._date

    def is_valid(self) -> bool:
        return parse_date(self.edit.text()) is not None

    def setDate(self, date: QDate) -> None:  # noqa: N802 (QDateEdit's name, so callers need not change)
        if not date.isValid():
            return
        self.edit.setText(date.toString(_DISPLAY))
        self._mark(valid=True)
        if date != self._date:
            self._date = date
            self.dateChanged.emit(date)

    def text(self) -> str:
        return self.edit.text()

    def _mark(self, valid: bool) -> None:
        self.edit.setStyleSheet("" if valid else "QLineEdit { border: 1px solid #c0392b; }")

    def _on_edit_text_edited(self, text: str) -> None:
        self._mark(valid=parse_date(text) is not None or not text.strip())

    def _on_edit_editing_finished(self) -> None:
        date = parse_date(self.edit.text())
        if date is None:
            self._mark(valid=False)  # the last good date stays in force until this one reads
            return
        self.setDate(date)

    def _on_menu_about_to_show(self) -> None:
        self.calendar.setSelectedDate(self._date)

    def _on_calendar_clicked(self, date: QDate) -> None:
        self.setDate(date)
        menu = self.button.menu()
        if menu is not None:
            menu.hide()
