"""What floats over the chart: the crosshair and its info box, the centred message and the corner note."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget

from widgets.chart.crosshair import Crosshair, InfoBox, info_rows
from widgets.chart.formatting import format_bar_time, format_volume
from widgets.chart.panes import ChartPane
from widgets.chart.theme import ChartTheme
from widgets.chart.view_state import ChartData


class CursorOverlays:
    """The crosshair over the panes, and child widgets of the chart's view placed against the price pane."""

    def __init__(self, host: QWidget, panes: Sequence[ChartPane], theme: ChartTheme) -> None:
        self._host = host
        self._price = panes[0]
        self.crosshair = Crosshair(theme)
        for pane in panes:
            self.crosshair.attach(pane)
        self.info_box = InfoBox(host)
        self.message_label = QLabel(host)
        self.message_label.setObjectName("chart_message_label")
        self.message_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message_label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        # A standing remark about the data shown (e.g. why it is unadjusted), in the price pane's corner.
        self.note_label = QLabel(host)
        self.note_label.setObjectName("chart_note_label")
        self.note_label.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.note_label.hide()

    def show_cursor(
        self,
        data: ChartData,
        index: int,
        hover: tuple[str, float] | None,
        shown: tuple[Sequence[str], Sequence[str]],
        visible: tuple[int, int],
        theme: ChartTheme,
        format_price: Callable[[float], str],
    ) -> None:
        """Crosshair and info box on bar `index`; `hover` = (pane key, y) adds the level line.

        `shown` is (overlay groups, indicator panes) on screen, `visible` the first and last bar in view.
        """
        overlays, sub_panes = shown
        hover_text = None
        if hover is not None:
            key, y = hover
            text = format_volume(y) if key == "VOL" else format_price(y) if key == "price" else f"{y:.2f}"
            hover_text = (key, y, text)
        bottom = sub_panes[-1] if sub_panes else "price"
        self.crosshair.show_at(index, format_bar_time(data.time[index], data.intraday), bottom, hover_text)
        self.info_box.show_rows(info_rows(data, index, [*overlays, *sub_panes], theme))
        # Keep the box away from the cursor: left side unless the cursor is in the left third.
        first, last = visible
        price_rect = self._price.view.sceneBoundingRect()
        on_left = (index - first) > (last - first) / 3
        x = price_rect.left() + 4 if on_left else price_rect.right() - self.info_box.width() - 4
        # Below the price legend, and never past the bottom of the chart however many rows it has.
        self.info_box.adjustSize()
        y = min(price_rect.top() + 22, self._host.height() - self.info_box.height() - 2)
        self.info_box.move(int(x), int(max(0, y)))
        self.info_box.show()

    def hide_cursor(self) -> None:
        self.crosshair.hide()
        self.info_box.hide()

    def info_text(self) -> str:
        """The info box as plain text (one 'label value' line per row); empty while it is hidden."""
        return self.info_box.plain_text() if self.info_box.isVisible() else ""

    def show_message(self, text: str) -> None:
        """A line across the chart; empty text hides it."""
        self.message_label.setText(text)
        self.message_label.setVisible(bool(text))

    def show_note(self, text: str) -> None:
        self.note_label.setText(text)
        self.note_label.setVisible(bool(text))

    def place(self) -> None:
        """The message over the whole chart, the note in the price pane's top-right corner."""
        price_rect = self._price.view.sceneBoundingRect()
        self.message_label.setGeometry(0, 0, self._host.width(), self._host.height())
        self.note_label.adjustSize()
        self.note_label.move(max(0, int(price_rect.right()) - self.note_label.width() - 4), int(price_rect.top()) + 20)

    def apply_theme(self, theme: ChartTheme) -> None:
        self.info_box.apply_theme(theme)
        self.message_label.setStyleSheet(f"color: {theme.muted_text}; font-size: 11pt;")
        self.note_label.setStyleSheet(f"color: {theme.muted_text}; font-size: 8pt;")
