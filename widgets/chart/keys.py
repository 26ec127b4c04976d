"""Keyboard navigation of the chart, as in Chinese terminals: ←/→ cursor, +/- zoom, Home/End, PgUp/PgDn."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt

if TYPE_CHECKING:
    from widgets.chart_panel import ChartPanel

ZOOM_STEP = 1.25  # each + shows 1/1.25 of the bars, each - 1.25 times as many


def navigate(panel: ChartPanel, key: int) -> bool:
    """Apply one key press to `panel`; False when the key is not a chart key (or nothing is charted)."""
    data = panel.data
    if data is None or len(data) == 0:
        return False
    first, last = panel.visible_range()
    cursor = panel.cursor_index
    if key in (Qt.Key.Key_Left, Qt.Key.Key_Right):
        step = -1 if key == Qt.Key.Key_Left else 1
        # The first press shows the cursor on the edge bar, later ones move it; the view follows it.
        target = (last if step < 0 else first) if cursor is None else cursor + step
        target = min(max(0, target), len(data) - 1)
        if target < first or target > last:
            panel.pan(target - (first if target < first else last))
        panel.set_cursor(target)
    elif key in (Qt.Key.Key_Plus, Qt.Key.Key_Equal, Qt.Key.Key_Up):
        panel.zoom(1 / ZOOM_STEP)
    elif key in (Qt.Key.Key_Minus, Qt.Key.Key_Down):
        panel.zoom(ZOOM_STEP)
    elif key in (Qt.Key.Key_Home, Qt.Key.Key_End):
        home = key == Qt.Key.Key_Home
        panel.set_visible_range(0 if home else len(data), last - first + 1)
        if cursor is not None:
            panel.set_cursor(0 if home else len(data) - 1)
    elif key == Qt.Key.Key_PageUp:
        panel.pan(-(last - first + 1))
    elif key == Qt.Key.Key_PageDown:
        panel.pan(last - first + 1)
    elif key == Qt.Key.Key_Escape:
        panel.set_cursor(None)
    else:
        return False
    return True
