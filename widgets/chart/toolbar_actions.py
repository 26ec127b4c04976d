"""What the chart toolbar's clicks do to the panel: group toggles, drawing tools, the MA windows dialog."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QInputDialog

from widgets.chart.view_state import OVERLAYS

if TYPE_CHECKING:
    from widgets.chart_panel import ChartPanel

_DRAW_TOOLS = ("trend", "hline", "fib")


def _tr(text: str) -> str:
    return QCoreApplication.translate("ChartPanel", text)


def parse_ma_windows(text: str) -> tuple[int, ...] | None:
    """MA windows from '5, 10, 20' (full-width commas too), sorted; None when not 1..1000 integers."""
    try:
        windows = tuple(sorted({int(part) for part in text.replace("，", ",").split(",") if part.strip()}))
    except ValueError:
        return None
    if not windows or any(not 1 <= w <= 1000 for w in windows):
        return None
    return windows


class ChartToolbarActions(QObject):
    """Connects a panel's toolbar (and its ⋯ menu) to the panel: forwards requests, applies view changes."""

    def __init__(self, panel: ChartPanel) -> None:
        super().__init__(panel)
        self._panel = panel
        bar = panel.toolbar
        bar.sig_symbol_entered.connect(panel.sig_symbol_requested.emit)
        bar.sig_period_clicked.connect(panel.sig_period_requested.emit)
        bar.sig_adjust_chosen.connect(panel.sig_adjust_requested.emit)
        bar.sig_red_up_toggled.connect(panel.sig_red_up_requested.emit)
        bar.sig_group_toggled.connect(self._on_toolbar_sig_group_toggled)
        bar.sig_ma_windows_clicked.connect(self._on_toolbar_sig_ma_windows_clicked)
        bar.sig_draw_tool_chosen.connect(self._on_toolbar_sig_draw_tool_chosen)
        bar.sig_delete_drawing_clicked.connect(panel.drawings.delete_selected)
        bar.sig_clear_drawings_clicked.connect(panel.drawings.clear)
        bar.show_groups(panel.shown_groups())

    def _on_toolbar_sig_group_toggled(self, group: str, shown: bool) -> None:
        panel = self._panel
        if group in OVERLAYS:
            overlays = set(panel.overlays())
            panel.set_overlays(overlays | {group} if shown else overlays - {group})
        else:
            subs = set(panel.sub_panes())
            panel.set_sub_panes(subs | {group} if shown else subs - {group})

    def _on_toolbar_sig_draw_tool_chosen(self, tool: str) -> None:
        panel = self._panel
        if panel.showing_timeshare or tool not in _DRAW_TOOLS:
            return
        panel.drawings.start(tool)  # type: ignore[arg-type]  # one of DrawingKind, checked above
        panel.graphics.setFocus()

    def _on_toolbar_sig_ma_windows_clicked(self) -> None:
        panel = self._panel
        data = panel.data
        current = ",".join(name[2:] for name in (data.studies.get("MA", {}) if data else {}))
        text, ok = QInputDialog.getText(
            panel, _tr("Moving averages"), _tr("Windows, comma separated:"), text=current or "5,10,20,60"
        )
        if ok:
            panel.request_ma_windows(text)
