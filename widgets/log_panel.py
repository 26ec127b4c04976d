"""LogPanel: the app's recent log records with a minimum-level and a text filter, and a record's details."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import (
    QAbstractTableModel,
    QCoreApplication,
    QModelIndex,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QSplitter,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from widgets.tr import QT_TRANSLATE_NOOP

CAPACITY = 5000
LEVELS = (
    (QT_TRANSLATE_NOOP("LogPanel", "DEBUG"), 10),
    (QT_TRANSLATE_NOOP("LogPanel", "INFO"), 20),
    (QT_TRANSLATE_NOOP("LogPanel", "WARNING"), 30),
    (QT_TRANSLATE_NOOP("LogPanel", "ERROR"), 40),
    (QT_TRANSLATE_NOOP("LogPanel", "CRITICAL"), 50),
)
_LEVEL_COLOURS = {30: QColor("#ef6c00"), 40: QColor("#c62828"), 50: QColor("#c62828")}
Index = QModelIndex | QPersistentModelIndex


def _tr(text: str) -> str:
    return QCoreApplication.translate("LogPanel", text)


@dataclass(frozen=True, slots=True)
class LogRow:
    time: str
    level: str
    levelno: int
    logger: str
    message: str
    details: str = ""


_HEADERS = (
    QT_TRANSLATE_NOOP("LogPanel", "Time"),
    QT_TRANSLATE_NOOP("LogPanel", "Level"),
    QT_TRANSLATE_NOOP("LogPanel", "Source"),
    QT_TRANSLATE_NOOP("LogPanel", "Message"),
)


class LogTableModel(QAbstractTableModel):
    """The newest CAPACITY records, oldest first."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.rows: list[LogRow] = []

    def rowCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt API)
        return 0 if parent.isValid() else len(self.rows)

    def columnCount(self, parent: Index = QModelIndex()) -> int:  # noqa: B008, N802 (Qt API)
        return 0 if parent.isValid() else len(_HEADERS)

    def headerData(
        self,
        section: int,
        orientation: Qt.Orientation,  # noqa: N802 (Qt API)
        role: int = Qt.ItemDataRole.DisplayRole,
    ) -> object:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return _tr(_HEADERS[section])
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = self.rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return (row.time, row.level, row.logger, row.message)[index.column()]
        if role == Qt.ItemDataRole.ForegroundRole and index.column() in (1, 3):
            return _LEVEL_COLOURS.get(row.levelno)
        if role == Qt.ItemDataRole.ToolTipRole and row.details:
            return row.details
        return None

    def append(self, rows: Sequence[LogRow]) -> None:
        if not rows:
            return
        rows = list(rows)[-CAPACITY:]
        overflow = len(self.rows) + len(rows) - CAPACITY
        if overflow > 0:
            self.beginRemoveRows(QModelIndex(), 0, overflow - 1)
            del self.rows[:overflow]
            self.endRemoveRows()
        start = len(self.rows)
        self.beginInsertRows(QModelIndex(), start, start + len(rows) - 1)
        self.rows.extend(rows)
        self.endInsertRows()


class LogFilterModel(QSortFilterProxyModel):
    """Keeps records at or above `min_level` whose message, source or details contain the text."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.min_level = 20
        self.text = ""

    def set_filter(self, min_level: int, text: str) -> None:
        # Qt 6.10 replaced invalidateFilter() with a begin/end pair; older Qt has only the former.
        begin = getattr(self, "beginFilterChange", None)
        if begin is not None:
            begin()
        self.min_level, self.text = min_level, text.strip().lower()
        if begin is not None:
            self.endFilterChange()
        else:
            self.invalidateFilter()

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: N802 (Qt API)
        model = self.sourceModel()
        assert isinstance(model, LogTableModel)
        row = model.rows[source_row]
        if row.levelno < self.min_level:
            return False
        if not self.text:
            return True
        return any(self.text in part.lower() for part in (row.message, row.logger, row.details))


class LogPanel(QWidget):
    sig_open_folder_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = LogTableModel(self)
        self.proxy = LogFilterModel(self)
        self.proxy.setSourceModel(self.model)
        self.level_combo = QComboBox(self)
        for name, number in LEVELS:
            self.level_combo.addItem(_tr(name), number)
        self.level_combo.setCurrentIndex(1)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText(_tr("Filter by text"))
        self.filter_edit.setClearButtonEnabled(True)
        self.open_button = QPushButton(_tr("Open log folder"), self)
        self.open_button.clicked.connect(self.sig_open_folder_requested)
        self.count_label = QLabel(self)
        self.table = QTableView(self)
        self.table.setModel(self.proxy)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
        self.table.setWordWrap(False)
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.setPlaceholderText(_tr("Select a record to see its details"))
        splitter = QSplitter(Qt.Orientation.Vertical, self)
        splitter.addWidget(self.table)
        splitter.addWidget(self.details)
        splitter.setSizes([300, 80])
        bar = QHBoxLayout()
        bar.addWidget(QLabel(_tr("Level"), self))
        bar.addWidget(self.level_combo)
        bar.addWidget(self.filter_edit, 1)
        bar.addWidget(self.count_label)
        bar.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(bar)
        layout.addWidget(splitter, 1)
        self.level_combo.currentIndexChanged.connect(self._on_level_combo_changed)
        self.filter_edit.textChanged.connect(self._on_filter_edit_text_changed)
        self.table.selectionModel().currentRowChanged.connect(self._on_table_row_changed)
        self._update_count()

    def append(self, rows: Sequence[LogRow]) -> None:
        follow = self._at_bottom()
        self.model.append(rows)
        self._update_count()
        if follow:
            self.table.scrollToBottom()

    def visible_rows(self) -> list[LogRow]:
        return [
            self.model.rows[self.proxy.mapToSource(self.proxy.index(r, 0)).row()] for r in range(self.proxy.rowCount())
        ]

    def _apply_filter(self) -> None:
        self.proxy.set_filter(int(self.level_combo.currentData()), self.filter_edit.text())
        self._update_count()

    def _on_level_combo_changed(self, _index: int) -> None:
        self._apply_filter()

    def _on_filter_edit_text_changed(self, _text: str) -> None:
        self._apply_filter()

    def _on_table_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.details.clear()
            return
        row = self.model.rows[self.proxy.mapToSource(current).row()]
        self.details.setPlainText(
            f"{row.time} {row.level} {row.logger}\n{row.message}" + (f"\n\n{row.details}" if row.details else "")
        )

    def _update_count(self) -> None:
        self.count_label.setText(
            _tr("{shown} of {total}").format(shown=self.proxy.rowCount(), total=len(self.model.rows))
        )

    def _at_bottom(self) -> bool:
        bar = self.table.verticalScrollBar()
        return bar.value() >= bar.maximum() - 2
