"""F10: one instrument's identity, listing, ST status, name history and latest figures, as label/value rows."""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtGui import QFont
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHeaderView,
    QLabel,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("InstrumentInfo", text)


class InstrumentInfoDialog(QDialog):
    """Shows what the presenter formatted: a title, (label, value) rows and the name history (from, to, name, ST)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("instrument_info_dialog")
        self.setWindowTitle(_tr("Instrument info (F10)"))
        self.title_label = QLabel(self)
        font = QFont(self.title_label.font())
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.3)
        self.title_label.setFont(font)
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
        self.history_table = QTableWidget(0, 4, self)
        self.history_table.setHorizontalHeaderLabels([_tr("From"), _tr("To"), _tr("Name"), _tr("ST")])
        self.history_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.history_table.verticalHeader().setVisible(False)
        self.history_table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.title_label)
        layout.addLayout(self.form)
        layout.addWidget(QLabel(_tr("Name history"), self))
        layout.addWidget(self.history_table, 1)
        layout.addWidget(buttons)
        self.resize(460, 560)

    def set_info(
        self, title: str, rows: Sequence[tuple[str, str]], history: Sequence[tuple[str, str, str, str]]
    ) -> None:
        self.title_label.setText(title)
        while self.form.rowCount():
            self.form.removeRow(0)
        for label, value in rows:
            shown = QLabel(value, self)
            shown.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.form.addRow(label, shown)
        self.history_table.setRowCount(len(history))
        for r, cells in enumerate(history):
            for c, text in enumerate(cells):
                self.history_table.setItem(r, c, QTableWidgetItem(text))

    def value(self, label: str) -> str:
        """The value shown for `label` ('' when there is no such row)."""
        for row in range(self.form.rowCount()):
            name = self.form.itemAt(row, QFormLayout.ItemRole.LabelRole)
            field = self.form.itemAt(row, QFormLayout.ItemRole.FieldRole)
            if name is not None and field is not None:
                label_widget, field_widget = name.widget(), field.widget()
                if (
                    isinstance(label_widget, QLabel)
                    and isinstance(field_widget, QLabel)
                    and label_widget.text() == label
                ):
                    return field_widget.text()
        return ""
