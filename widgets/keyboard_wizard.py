"""键盘精灵: type a code, name or pinyin initials anywhere in the window and a popup finds the instrument."""

from __future__ import annotations

import contextlib
from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QFrame,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPlainTextEdit,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

_POPUP_SIZE = (300, 280)


def _tr(text: str) -> str:
    return QCoreApplication.translate("KeyboardWizard", text)


class KeyboardWizardPopup(QFrame):
    """The popup: a search line over a result list. It asks for results and reports the chosen symbol."""

    sig_search_requested = Signal(str)
    sig_open_requested = Signal(str)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent, Qt.WindowType.Popup)
        self.setObjectName("keyboard_wizard")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.edit = QLineEdit(self)
        self.edit.setPlaceholderText(_tr("Code, name or pinyin initials"))
        self.edit.textChanged.connect(self.sig_search_requested)
        self.edit.installEventFilter(self)
        self.results = QListWidget(self)
        self.results.itemActivated.connect(self._on_results_item_activated)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.edit)
        layout.addWidget(self.results)
        self.resize(*_POPUP_SIZE)

    def open_with(self, text: str, anchor: QWidget | None = None) -> None:
        """Show the popup at the bottom right of `anchor` (as terminals do), searching for `text`."""
        if anchor is not None:
            corner = anchor.mapToGlobal(anchor.rect().bottomRight())
            self.move(corner.x() - self.width() - 8, corner.y() - self.height() - 8)
        self.edit.setText(text)
        self.show()
        self.edit.setFocus()
        self.edit.end(False)

    def show_results(self, rows: Sequence[tuple[str, str, str]]) -> None:
        """(symbol, name, initials) rows, best first; the first is selected so Enter opens it."""
        self.results.clear()
        for symbol, name, initials in rows:
            item = QListWidgetItem(f"{symbol}   {name}   {initials}".rstrip(), self.results)
            item.setData(Qt.ItemDataRole.UserRole, symbol)
        if rows:
            self.results.setCurrentRow(0)

    def current_symbol(self) -> str:
        item = self.results.currentItem()
        return str(item.data(Qt.ItemDataRole.UserRole)) if item is not None else ""

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        # Arrow keys move through the results while typing continues in the line.
        if watched is self.edit and event.type() == QEvent.Type.KeyPress:
            key = event.key()  # type: ignore[attr-defined]
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Up):
                step = 1 if key == Qt.Key.Key_Down else -1
                row = min(max(0, self.results.currentRow() + step), self.results.count() - 1)
                self.results.setCurrentRow(row)
                return True
            if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._open_current()
                return True
        return super().eventFilter(watched, event)

    def _open_current(self) -> None:
        symbol = self.current_symbol()
        if symbol:
            self.hide()
            self.sig_open_requested.emit(symbol)

    def _on_results_item_activated(self, _item: QListWidgetItem) -> None:
        self._open_current()


class KeyboardWizard(QObject):
    """Watches key presses application-wide: a letter or digit typed outside a text field opens the popup.

    Only in the main window that holds `scope` (the chart panel), so each window has one wizard.
    """

    def __init__(self, popup: KeyboardWizardPopup, scope: QWidget) -> None:
        super().__init__(scope)
        self.popup = popup
        self._scope = scope
        # Key presses go to the focused widget: filtering only that one (moved along with the focus)
        # keeps Python out of the thousands of paint and layout events an application-wide filter sees.
        self._watched: QWidget | None = None
        app = QApplication.instance()
        if isinstance(app, QApplication):
            app.focusChanged.connect(self._on_app_focus_changed)
            self._on_app_focus_changed(None, app.focusWidget())

    def _on_app_focus_changed(self, _old: QWidget | None, new: QWidget | None) -> None:
        if self._watched is not None:
            with contextlib.suppress(RuntimeError):  # the widget that had the focus may be gone already
                self._watched.removeEventFilter(self)
        self._watched = new
        if new is not None:
            new.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        if event.type() != QEvent.Type.KeyPress or self.popup.isVisible():
            return False
        assert isinstance(event, QKeyEvent)
        text = event.text()
        plain = not (event.modifiers() & ~Qt.KeyboardModifier.ShiftModifier & ~Qt.KeyboardModifier.KeypadModifier)
        if not (plain and len(text) == 1 and text.isascii() and text.isalnum()):
            return False
        focus = QApplication.focusWidget()
        window = self._scope.window()
        if focus is None or _takes_text(focus) or focus.window() is not window or not isinstance(window, QMainWindow):
            return False  # typing into a field, in a dialog or in another window: not for the wizard
        if watched is not focus:
            return False  # only the focused widget's own press
        self.popup.open_with(text, focus.window())
        return True


def _takes_text(widget: QWidget) -> bool:
    if isinstance(widget, (QLineEdit, QTextEdit, QPlainTextEdit, QAbstractSpinBox)):
        return not getattr(widget, "isReadOnly", lambda: False)()
    return isinstance(widget, QComboBox) and widget.isEditable()
