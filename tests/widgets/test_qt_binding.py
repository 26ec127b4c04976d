"""The Qt binding in use keeps Python's reference counts: a broken build aborts the app within seconds."""

from __future__ import annotations

import sys

from PySide6.QtCore import QRectF
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QLabel
from pytestqt.qtbot import QtBot

CALLS = 2000


def test_void_calls_do_not_drop_references_to_none(qtbot: QtBot) -> None:
    # PySide6 6.12.0 under Python 3.11 (where None is not immortal) released one reference to None
    # per call of any void method; a chart repaint makes thousands of them, so None's count hit zero.
    label = QLabel()
    qtbot.addWidget(label)
    image = QImage(64, 64, QImage.Format.Format_RGB32)
    before = sys.getrefcount(None)
    for i in range(CALLS):
        label.setText("x")
        painter = QPainter(image)
        painter.drawRect(QRectF(0.0, 0.0, 1.0 + i % 3, 1.0))
        painter.end()
    assert abs(sys.getrefcount(None) - before) < CALLS // 10
