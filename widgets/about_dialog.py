"""AboutDialog: version and build, the licences of bundled packages, and the demo data's NOTICE."""

from __future__ import annotations

from dataclasses import dataclass, field
from html import escape
from typing import cast

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QFontDatabase, QGuiApplication, QIcon
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialogButtonBox,
    QGridLayout,
    QHeaderView,
    QMessageBox,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QWidget,
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("AboutDialog", text)


@dataclass(frozen=True)
class AboutInfo:
    """Everything the dialog shows, already formatted by the presenter."""

    name: str
    version: str
    build_line: str  # commit, build date, Python and platform on one line
    summary: str
    licence: str  # QDesk's own licence text
    notice: str  # resources/demo/NOTICE
    packages: list[tuple[str, str, str]] = field(default_factory=list)  # (name, version, licence)


class AboutDialog(QMessageBox):
    """Help → About: summary and build line, then tabs for the licence, bundled packages and demo data.

    A QMessageBox at heart, so it looks native on each platform (and on macOS sits where users expect);
    the tabs and the copy button are added to its grid below the text.
    """

    def __init__(self, info: AboutInfo, icon: QIcon | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("about_dialog")
        self.setWindowTitle(_tr("About {name}").format(name=info.name))
        self._info = info
        if icon is not None and not icon.isNull():
            self.setIconPixmap(icon.pixmap(64, 64))
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setText(f"<h2>{escape(info.name)} {escape(info.version)}</h2><p>{escape(info.summary)}</p>")
        self.setInformativeText(info.build_line)
        self.setStandardButtons(QMessageBox.StandardButton.Close)

        self.tabs = QTabWidget(self)
        self.tabs.setObjectName("about_tabs")
        self.tabs.addTab(_text_view(info.licence, "licence_text", self, wrap=True), _tr("Licence"))
        self.tabs.addTab(self._package_table(info.packages), _tr("Third-party packages"))
        self.tabs.addTab(_text_view(info.notice, "notice_text", self), _tr("Demo data"))
        # A message box sizes itself to its text; the tabs need room for the NOTICE's 80-column lines.
        self.tabs.setMinimumSize(620, 320)
        # Not a message-box button: those close the box when clicked.
        copy = QPushButton(_tr("Copy build info"), self)
        copy.setObjectName("copy_build_button")
        copy.clicked.connect(self._on_copy_clicked)
        grid = self.layout()
        buttons = self.findChild(QDialogButtonBox)
        if isinstance(grid, QGridLayout) and buttons is not None:
            # The tabs go where the buttons were; the buttons move below them, the copy button beside them.
            # PySide6's stub types the (row, column, row span, column span) tuple as `object`.
            row, _, _, _ = cast(tuple[int, int, int, int], grid.getItemPosition(grid.indexOf(buttons)))
            grid.removeWidget(buttons)
            columns = grid.columnCount()
            grid.addWidget(self.tabs, row, 0, 1, columns)
            grid.addWidget(copy, row + 1, 0, 1, columns, Qt.AlignmentFlag.AlignLeft)
            grid.addWidget(buttons, row + 1, 0, 1, columns, Qt.AlignmentFlag.AlignRight)

    def _package_table(self, packages: list[tuple[str, str, str]]) -> QTableWidget:
        table = QTableWidget(len(packages), 3, self)
        table.setObjectName("package_table")
        table.setHorizontalHeaderLabels([_tr("Package"), _tr("Version"), _tr("Licence")])
        table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        table.verticalHeader().setVisible(False)
        for row, values in enumerate(packages):
            for column, value in enumerate(values):
                item = QTableWidgetItem(value)
                item.setToolTip(value)
                table.setItem(row, column, item)
        header = table.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        return table

    def _on_copy_clicked(self) -> None:
        QGuiApplication.clipboard().setText(f"{self._info.name} {self._info.version} · {self._info.build_line}")


def _text_view(text: str, name: str, parent: QWidget, wrap: bool = False) -> QPlainTextEdit:
    view = QPlainTextEdit(parent)
    view.setObjectName(name)
    view.setReadOnly(True)
    view.setPlainText(text)
    if not wrap:
        # The NOTICE is laid out in fixed columns: keep its lines and give it a fixed-width font.
        view.setLineWrapMode(QPlainTextEdit.LineWrapMode.NoWrap)
        view.setFont(QFontDatabase.systemFont(QFontDatabase.SystemFont.FixedFont))
    return view
