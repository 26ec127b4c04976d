"""DataManagerPanel: the stored series as a tree, with import, delete and export actions."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, Signal, SignalInstance
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMessageBox,
    QPlainTextEdit,
    QProgressBar,
    QPushButton,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from widgets.tr import QT_TRANSLATE_NOOP


@dataclass(frozen=True, slots=True)
class SeriesView:
    """One row of the tree, as the presenter hands it over."""

    symbol: str
    name: str
    freq: str
    rows: int
    first: str
    last: str
    missing_days: int


_HEADERS = (
    QT_TRANSLATE_NOOP("DataManager", "Symbol"),
    QT_TRANSLATE_NOOP("DataManager", "Name"),
    QT_TRANSLATE_NOOP("DataManager", "Rows"),
    QT_TRANSLATE_NOOP("DataManager", "First"),
    QT_TRANSLATE_NOOP("DataManager", "Last"),
    QT_TRANSLATE_NOOP("DataManager", "Missing days"),
)


# Stored frequencies as the interface names them (日线 / 1分钟线 in Chinese, not "1d").
_FREQ_NAMES = {"1d": QT_TRANSLATE_NOOP("DataManager", "Daily"), "1m": QT_TRANSLATE_NOOP("DataManager", "1-minute")}


def _tr(text: str) -> str:
    return QCoreApplication.translate("DataManager", text)


class DataManagerPanel(QWidget):
    """Series grouped by frequency; buttons ask the presenter to do the work."""

    sig_import_requested = Signal(list)  # paths (files or folders)
    sig_delete_requested = Signal(list)  # [(symbol, freq)]
    sig_export_csv_requested = Signal(list, str)  # [(symbol, freq)], folder
    sig_export_qlib_requested = Signal(str)  # folder
    sig_update_from_bridge_requested = Signal(list)  # [(symbol, freq)]
    sig_cancel_requested = Signal()
    sig_leave_demo_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.filter_edit = QLineEdit(self)
        self.filter_edit.setPlaceholderText(_tr("Filter by code or name"))
        self.filter_edit.textChanged.connect(self._on_filter_edit_text_changed)
        self.tree = QTreeWidget(self)
        self.tree.setColumnCount(len(_HEADERS))
        self.tree.setHeaderLabels([_tr(h) for h in _HEADERS])
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.summary = QLabel(self)
        # In demo mode: the demo data is a read-only sandbox; this panel shows and fills the user's own store.
        self.demo_note = QLabel(self)
        self.demo_note.setWordWrap(True)
        self.leave_demo_button = QPushButton(_tr("Open my data"), self)
        self.leave_demo_button.setToolTip(_tr("Leave the demo and reopen QDesk on your own data"))
        self.leave_demo_button.clicked.connect(self.sig_leave_demo_requested)
        self.progress = QProgressBar(self)
        self.cancel_button = QPushButton(_tr("Cancel"), self)
        self.cancel_button.clicked.connect(self.sig_cancel_requested)
        self.buttons = {
            "import_files": QPushButton(_tr("Import files…"), self),
            "import_folder": QPushButton(_tr("Import folder…"), self),
            "delete": QPushButton(_tr("Delete"), self),
            "export_csv": QPushButton(_tr("Export CSV…"), self),
            "export_qlib": QPushButton(_tr("Export Qlib…"), self),
            "update": QPushButton(_tr("Update from bridge"), self),
        }
        self.buttons["import_files"].clicked.connect(self._on_import_files_clicked)
        self.buttons["import_folder"].clicked.connect(self._on_import_folder_clicked)
        self.buttons["delete"].clicked.connect(self._on_delete_clicked)
        self.buttons["export_csv"].clicked.connect(self._on_export_csv_clicked)
        self.buttons["export_qlib"].clicked.connect(self._on_export_qlib_clicked)
        self.buttons["update"].clicked.connect(lambda: self._emit_selected(self.sig_update_from_bridge_requested))
        self.buttons["update"].setToolTip(_tr("Needs a connected QDesk Bridge"))
        self._bridge_available = False
        self._busy = False
        # Deleting is the one destructive action: ask first (tests replace this with a stub).
        self.confirm: Callable[[str], bool] = self._ask

        row1, row2 = QHBoxLayout(), QHBoxLayout()
        for key in ("import_files", "import_folder", "delete"):
            row1.addWidget(self.buttons[key])
        for key in ("export_csv", "export_qlib", "update"):
            row2.addWidget(self.buttons[key])
        busy = QHBoxLayout()
        busy.addWidget(self.progress, 1)
        busy.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        demo_row = QHBoxLayout()
        demo_row.addWidget(self.demo_note, 1)
        demo_row.addWidget(self.leave_demo_button)
        layout.addLayout(demo_row)
        layout.addWidget(self.filter_edit)
        layout.addWidget(self.tree, 1)
        layout.addWidget(self.summary)
        layout.addLayout(busy)
        layout.addLayout(row1)
        layout.addLayout(row2)
        self.show_busy(None)
        self.show_demo_note(None)

    # -- view state in ----------------------------------------------------------------------
    def set_series(self, rows: Sequence[SeriesView]) -> None:
        self.tree.setSortingEnabled(False)
        self.tree.clear()
        groups: dict[str, QTreeWidgetItem] = {}
        for r in rows:
            group = groups.get(r.freq)
            if group is None:
                group = groups[r.freq] = QTreeWidgetItem(self.tree, [r.freq])
                group.setFirstColumnSpanned(True)
            item = QTreeWidgetItem(group, [r.symbol, r.name, "", r.first, r.last, ""])
            item.setData(2, Qt.ItemDataRole.DisplayRole, r.rows)  # numbers sort as numbers
            item.setData(5, Qt.ItemDataRole.DisplayRole, r.missing_days)
            item.setData(0, Qt.ItemDataRole.UserRole, (r.symbol, r.freq))
        for freq, group in groups.items():
            shown = _tr(_FREQ_NAMES[freq]) if freq in _FREQ_NAMES else freq
            group.setText(0, _tr("{freq} — {n} series").format(freq=shown, n=group.childCount()))
            group.setExpanded(True)
        self.tree.setSortingEnabled(True)
        for column in range(len(_HEADERS)):
            self.tree.resizeColumnToContents(column)  # codes and dates in full, not elided
        self.summary.setText(_tr("{n} series, {rows} rows").format(n=len(rows), rows=f"{sum(r.rows for r in rows):,}"))
        self._on_filter_edit_text_changed(self.filter_edit.text())

    def show_demo_note(self, text: str | None, can_leave: bool = False) -> None:
        """The demo-mode banner (None hides it); "Open my data" only once the user's store holds bars."""
        self.demo_note.setVisible(text is not None)
        self.demo_note.setText(text or "")
        self.leave_demo_button.setVisible(text is not None)
        self.leave_demo_button.setEnabled(can_leave)

    def set_bridge_available(self, available: bool) -> None:
        self._bridge_available = available
        self._enable_buttons()

    def show_busy(self, text: str | None, done: int = 0, total: int = 0, detail: str = "") -> None:
        """Progress of the running job (`detail`: the file or series at hand); None hides it."""
        running = text is not None
        self._busy = running
        self.progress.setVisible(running)
        self.cancel_button.setVisible(running)
        self._enable_buttons()
        if not running:
            return
        if total <= 0:  # the job has not counted its work yet: a busy bar, not a false "0/1"
            self.progress.setRange(0, 0)
            self.progress.setFormat(text or "")
            return
        percent = 100 * done // total
        self.progress.setFormat(f"{text} {done:,}/{total:,} ({percent}%)  {detail}".rstrip())
        self.progress.setRange(0, total)
        self.progress.setValue(done)

    def show_report(self, title: str, summary: str, errors: Sequence[str]) -> QDialog:
        """A non-blocking dialog with the outcome and every error line, selectable for copying."""
        dialog = QDialog(self)
        dialog.setWindowTitle(title)
        text = QPlainTextEdit(dialog)
        text.setReadOnly(True)
        text.setPlainText("\n".join(errors) if errors else _tr("No errors."))
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, dialog)
        buttons.rejected.connect(dialog.reject)
        layout = QVBoxLayout(dialog)
        layout.addWidget(QLabel(summary, dialog))
        layout.addWidget(text)
        layout.addWidget(buttons)
        dialog.resize(720, 360)
        dialog.setModal(False)
        dialog.show()
        return dialog

    def _enable_buttons(self) -> None:
        for key, button in self.buttons.items():
            button.setEnabled(not self._busy and (key != "update" or self._bridge_available))

    def _ask(self, question: str) -> bool:
        answer = QMessageBox.question(self, _tr("Delete data"), question)
        return answer == QMessageBox.StandardButton.Yes

    def selected_series(self) -> list[tuple[str, str]]:
        keys: list[tuple[str, str]] = []
        for item in self.tree.selectedItems():
            key = item.data(0, Qt.ItemDataRole.UserRole)
            if key is not None:
                keys.append(_pair(key))
            else:  # a frequency group selects all of its series
                keys.extend(_pair(_child(item, i).data(0, Qt.ItemDataRole.UserRole)) for i in range(item.childCount()))
        return list(dict.fromkeys(keys))

    # -- user intents out -------------------------------------------------------------------
    def _emit_selected(self, signal: SignalInstance) -> None:
        selected = self.selected_series()
        if selected:
            signal.emit(selected)

    def _on_delete_clicked(self) -> None:
        selected = self.selected_series()
        question = _tr("Delete {n} series from the store? This cannot be undone.").format(n=len(selected))
        if selected and self.confirm(question):
            self.sig_delete_requested.emit(selected)

    def _on_import_files_clicked(self) -> None:
        files, _ = QFileDialog.getOpenFileNames(
            self, _tr("Import files"), "", _tr("CSV files (*.csv *.csv.gz *.txt);;All files (*)")
        )
        if files:
            self.sig_import_requested.emit(files)

    def _on_import_folder_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _tr("Import folder"))
        if folder:
            self.sig_import_requested.emit([folder])

    def _on_export_csv_clicked(self) -> None:
        selected = self.selected_series()
        if selected:
            folder = QFileDialog.getExistingDirectory(self, _tr("Export CSV to folder"))
            if folder:
                self.sig_export_csv_requested.emit(selected, folder)

    def _on_export_qlib_clicked(self) -> None:
        folder = QFileDialog.getExistingDirectory(self, _tr("Export Qlib provider folder"))
        if folder:
            self.sig_export_qlib_requested.emit(folder)

    def _on_filter_edit_text_changed(self, text: str) -> None:
        needle = text.strip().lower()
        for i in range(self.tree.topLevelItemCount()):
            group = _top_level(self.tree, i)
            for j in range(group.childCount()):
                child = _child(group, j)
                child.setHidden(bool(needle) and needle not in (child.text(0) + child.text(1)).lower())


# Qt returns None only for an index out of range; the callers loop over the counts Qt reports.
def _child(item: QTreeWidgetItem, index: int) -> QTreeWidgetItem:
    child = item.child(index)
    if child is None:
        raise IndexError(f"tree item has no child {index}")
    return child


def _top_level(tree: QTreeWidget, index: int) -> QTreeWidgetItem:
    item = tree.topLevelItem(index)
    if item is None:
        raise IndexError(f"tree has no top-level item {index}")
    return item


def _pair(value: Any) -> tuple[str, str]:
    """A series key stored in an item's UserRole (Qt may hand a tuple back as a list)."""
    first, second = value
    return str(first), str(second)
