"""PlaceholderPanel: a stand-in dock body naming the panel to come and what it will do."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget


class PlaceholderPanel(QWidget):
    """Shows a title and a one-line description until the real panel takes the dock."""

    def __init__(self, title: str, description: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._title_label = QLabel(title, self)
        self._title_label.setObjectName("placeholder_title")
        font = self._title_label.font()
        font.setPointSizeF(font.pointSizeF() * 1.3)
        font.setBold(True)
        self._title_label.setFont(font)
        self._title_label.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self._description_label = QLabel(description, self)
        self._description_label.setObjectName("placeholder_description")
        self._description_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._description_label.setWordWrap(True)
        # The muted colour tells the user this is not live content yet.
        self._description_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)

        layout = QVBoxLayout(self)
        layout.addStretch(1)
        layout.addWidget(self._title_label)
        layout.addWidget(self._description_label)
        layout.addStretch(1)

    def title(self) -> str:
        """The panel title shown in bold."""
        return self._title_label.text()

    def description(self) -> str:
        """The one-line description under the title."""
        return self._description_label.text()
