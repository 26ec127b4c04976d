"""CrashDialog: an unexpected error, its copyable details, and the news that the app carries on."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QLabel, QPlainTextEdit, QPushButton, QVBoxLayout, QWidget

MAX_REPORTS = 20  # a failure repeating in a timer must not grow the text without end


def _tr(text: str) -> str:
    return QCoreApplication.translate("CrashDialog", text)


class CrashDialog(QDialog):
    """One dialog for any number of errors: later ones are appended, counted, never a new window each."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(_tr("Unexpected error"))
        self.setModal(False)
        self.summary_label = QLabel(self)
        self.summary_label.setWordWrap(True)
        self.hint_label = QLabel(_tr("QDesk keeps running. The details below are also in the log file."), self)
        self.hint_label.setWordWrap(True)
        self.details = QPlainTextEdit(self)
        self.details.setReadOnly(True)
        self.details.setMinimumSize(560, 240)
        self.copy_button = QPushButton(_tr("Copy details"), self)
        self.copy_button.clicked.connect(self._on_copy_button_clicked)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.addButton(self.copy_button, QDialogButtonBox.ButtonRole.ActionRole)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.hint_label)
        layout.addWidget(self.details)
        layout.addWidget(buttons)
        self.count = 0
        self._left_out = 0

    def add_report(self, summary: str, details: str) -> None:
        """Show `summary` on top and append `details` (a traceback) to the copyable text."""
        self.count += 1
        if self.count == 1:
            self.summary_label.setText(summary)
        else:
            self.summary_label.setText(
                _tr("{count} errors; the latest: {summary}").format(count=self.count, summary=summary)
            )
        if self.count <= MAX_REPORTS:
            text = self.details.toPlainText()
            self.details.setPlainText((text + "\n" + "-" * 60 + "\n" if text else "") + details.rstrip())
        else:
            self._left_out += 1

    def details_text(self) -> str:
        text = self.details.toPlainText()
        if self._left_out:
            text += "\n" + _tr("({count} more not shown; see the log file)").format(count=self._left_out)
        return text

    def clear(self) -> None:
        self.count = 0
        self._left_out = 0
        self.details.clear()

    def _on_copy_button_clicked(self) -> None:
        QGuiApplication.clipboard().setText(self.details_text())

    def done(self, result: int) -> None:
        super().done(result)
        self.clear()  # the next error starts a fresh report
