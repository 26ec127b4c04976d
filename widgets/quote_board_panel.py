"""QuoteBoardPanel: watchlist selector, sortable quote table, context menu; emits what the user asks for."""

from __future__ import annotations

import functools
from collections.abc import Callable, Sequence

from PySide6.QtCore import QCoreApplication, QModelIndex, QPoint, Qt, QTimer, Signal
from PySide6.QtGui import QAction, QGuiApplication
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QInputDialog,
    QLabel,
    QLineEdit,
    QMenu,
    QTableView,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from widgets.quote_board_model import COLUMNS, HIDDEN_BY_DEFAULT, QuoteTableModel

RESORT_INTERVAL_MS = 1000
DEFAULT_WATCHLIST = "Watchlist"  # the name core.quotes.watchlists gives the first list
_COLUMN_KEYS = [c.key for c in COLUMNS]


def _tr(text: str) -> str:
    return QCoreApplication.translate("QuoteBoard", text)


_FIT_SAMPLE_ROWS = 80  # rows whose values column widths are fitted to


class QuoteBoardPanel(QWidget):
    """Shows one watchlist at a time. Knows nothing of where quotes or watchlists come from."""

    sig_open_chart_requested = Signal(str)
    sig_watchlist_select_requested = Signal(str)
    sig_watchlist_create_requested = Signal(str)
    sig_add_symbol_requested = Signal(str, str)  # watchlist, symbol
    sig_remove_symbol_requested = Signal(str, str)
    sig_move_symbol_requested = Signal(str, str, int)  # watchlist, symbol, +1 down / -1 up

    def __init__(self, model: QuoteTableModel | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model or QuoteTableModel(self)
        # Rows re-rank on a timer, not on every repaint: a full-market feed would otherwise re-sort
        # thousands of rows 30 times a second and make rows jump under the user's cursor.
        self._resort_timer = QTimer(self)
        self._resort_timer.setInterval(RESORT_INTERVAL_MS)
        self._resort_timer.timeout.connect(self.model.resort)
        self._resort_timer.start()
        self._watchlists: list[str] = []

        self.watchlist_box = QComboBox(self)
        self.watchlist_box.currentIndexChanged.connect(self._on_watchlist_box_current_index_changed)
        self.new_list_button = QToolButton(self)
        self.new_list_button.setText("+")
        self.new_list_button.setToolTip(_tr("New watchlist"))
        self.new_list_button.clicked.connect(self._on_new_list_button_clicked)
        self.add_edit = QLineEdit(self)
        self.add_edit.setPlaceholderText(_tr("Add code, e.g. 600000.SH"))
        self.add_edit.returnPressed.connect(self._on_add_edit_return_pressed)
        self.message = QLabel(self)
        self.message.setStyleSheet("color: #b05a00")

        self.table = QTableView(self)
        self.table.setModel(self.model)
        self.table.setSortingEnabled(True)
        self.table.sortByColumn(-1, Qt.SortOrder.AscendingOrder)  # watchlist order until a header is clicked
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setDefaultSectionSize(22)
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.table.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._on_table_custom_context_menu_requested)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        # Columns start as wide as their content, so a narrow dock shows more of them.
        header = self.table.horizontalHeader()
        header.setDefaultSectionSize(64)
        header.setMinimumSectionSize(36)
        header.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        header.customContextMenuRequested.connect(self._on_header_custom_context_menu_requested)
        for key in HIDDEN_BY_DEFAULT:
            self.table.setColumnHidden(_COLUMN_KEYS.index(key), True)
        self.model.modelReset.connect(self._on_model_model_reset)

        top = QHBoxLayout()
        top.addWidget(self.watchlist_box, 1)
        top.addWidget(self.new_list_button)
        top.addWidget(self.add_edit, 1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.table)
        self.message.hide()

    # -- view state in ----------------------------------------------------------------------
    def set_watchlists(self, names: Sequence[str], current: str) -> None:
        self._watchlists = list(names)
        self.watchlist_box.blockSignals(True)
        self.watchlist_box.clear()
        for name in self._watchlists:
            # The list created on first start is named in the interface language; user lists as typed.
            self.watchlist_box.addItem(_display_name(name), name)
        self.watchlist_box.setCurrentIndex(max(0, self.watchlist_box.findData(current)))
        self.watchlist_box.blockSignals(False)

    def current_watchlist(self) -> str:
        name = self.watchlist_box.currentData()
        return str(name) if name is not None else ""

    def show_message(self, text: str) -> None:
        """A one-line note under the toolbar (e.g. why a code was refused); empty hides it."""
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def symbol_at(self, row: int) -> str:
        return self.model.symbols()[row]

    def _on_model_model_reset(self) -> None:
        QTimer.singleShot(0, self._fit_columns)

    def _fit_columns(self) -> None:
        for column in range(self.model.columnCount()):
            if not self.table.isColumnHidden(column):
                self._fit_column(column)

    def _fit_column(self, column: int) -> None:
        # Sized to the values, not the header: a header with its sort arrow would double a price column.
        # Measured on a sample of rows, not all of a 5,500-row market list: Qt's sizeHintForColumn asks
        # every row of a table not yet shown for its text, which took over a second at launch.
        cells = self.table.fontMetrics()
        texts = (
            self.model.data(self.model.index(row, column), Qt.ItemDataRole.DisplayRole)
            for row in range(min(self.model.rowCount(), _FIT_SAMPLE_ROWS))
        )
        widest = max((cells.horizontalAdvance(str(text)) for text in texts if text is not None), default=0)
        title = str(self.model.headerData(column, Qt.Orientation.Horizontal))
        header = self.table.horizontalHeader().fontMetrics().horizontalAdvance(title)
        self.table.setColumnWidth(column, max(widest + 16, header + 14, 40))

    def shown_columns(self) -> list[str]:
        """Keys of the columns on screen, in model order."""
        return [key for i, key in enumerate(_COLUMN_KEYS) if not self.table.isColumnHidden(i)]

    def set_column_shown(self, key: str, shown: bool) -> None:
        """Show or hide one column (the header's right-click menu); the code column always stays."""
        if key != "code":
            column = _COLUMN_KEYS.index(key)
            self.table.setColumnHidden(column, not shown)
            if shown:
                self._fit_column(column)

    def build_header_menu(self) -> QMenu:
        """Right-click on the header: a checkable entry per column."""
        menu = QMenu(self)
        for column in COLUMNS:
            action = menu.addAction(_tr(column.title))
            action.setCheckable(True)
            action.setChecked(column.key in self.shown_columns())
            action.setEnabled(column.key != "code")
            action.toggled.connect(functools.partial(self.set_column_shown, column.key))
        return menu

    def _on_header_custom_context_menu_requested(self, pos: QPoint) -> None:
        self.build_header_menu().exec(self.table.horizontalHeader().mapToGlobal(pos))

    # -- user intents out -------------------------------------------------------------------
    def _on_watchlist_box_current_index_changed(self, index: int) -> None:
        name = self.watchlist_box.itemData(index)
        if name:
            self.sig_watchlist_select_requested.emit(name)

    def _on_new_list_button_clicked(self) -> None:
        name, ok = QInputDialog.getText(self, _tr("New watchlist"), _tr("Name:"))
        if ok and name.strip():
            self.sig_watchlist_create_requested.emit(name.strip())

    def _on_add_edit_return_pressed(self) -> None:
        text = self.add_edit.text().strip()
        if text:
            self.sig_add_symbol_requested.emit(self.current_watchlist(), text)
            self.add_edit.clear()

    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        self.sig_open_chart_requested.emit(self.symbol_at(index.row()))

    def _on_table_custom_context_menu_requested(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        menu = self.build_context_menu(self.symbol_at(index.row()))
        menu.exec(self.table.viewport().mapToGlobal(pos))

    def build_context_menu(self, symbol: str) -> QMenu:
        """The row menu: chart, copy code, add to another watchlist, remove, reorder."""
        menu = QMenu(self)
        current = self.current_watchlist()
        _action(menu, _tr("Open chart"), lambda: self.sig_open_chart_requested.emit(symbol))
        _action(menu, _tr("Copy code"), lambda: QGuiApplication.clipboard().setText(symbol))
        add_menu = menu.addMenu(_tr("Add to watchlist"))
        for name in self._watchlists:
            if name != current:
                _action(
                    add_menu, _display_name(name), functools.partial(self.sig_add_symbol_requested.emit, name, symbol)
                )
        add_menu.setEnabled(len(self._watchlists) > 1)
        menu.addSeparator()
        _action(menu, _tr("Move up"), lambda: self.sig_move_symbol_requested.emit(current, symbol, -1))
        _action(menu, _tr("Move down"), lambda: self.sig_move_symbol_requested.emit(current, symbol, 1))
        _action(menu, _tr("Remove from this watchlist"), lambda: self.sig_remove_symbol_requested.emit(current, symbol))
        return menu


def _display_name(name: str) -> str:
    return _tr("Watchlist") if name == DEFAULT_WATCHLIST else name


def _action(menu: QMenu, text: str, slot: Callable[[], object]) -> QAction:
    action = menu.addAction(text)
    action.triggered.connect(lambda _checked=False: slot())  # drop `checked` so slots take no argument
    return action
