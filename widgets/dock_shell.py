"""DockShell: what a dock holds until its panel is needed, so docks tabbed behind others cost nothing at launch."""

from __future__ import annotations

from PySide6.QtWidgets import QVBoxLayout, QWidget


class DockShell(QWidget):
    """An empty container; the panel put in with `set_content` fills it edge to edge, as if the dock held it."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._content: QWidget | None = None

    @property
    def content(self) -> QWidget | None:
        """The panel shown inside, once there is one."""
        return self._content

    def set_content(self, panel: QWidget) -> None:
        """Show `panel` inside the shell; a shell takes one panel for its lifetime."""
        if self._content is not None:
            raise ValueError("this dock already holds its panel")
        self._content = panel
        self._layout.addWidget(panel)
        if self.isVisible():
            panel.show()  # at once: a panel put into a shown widget would otherwise appear a turn later
