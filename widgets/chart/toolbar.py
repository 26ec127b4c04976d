"""ChartToolbarWidget: symbol box, period buttons, adjustment, overlay and sub-pane toggles, options menu."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtGui import QAction, QResizeEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QMenu,
    QSizePolicy,
    QToolButton,
    QWidget,
)

from widgets.chart.theme import ChartTheme
from widgets.chart.view_state import ADJUSTMENTS, OVERLAYS, PERIODS, SUB_PANES
from widgets.tr import QT_TRANSLATE_NOOP

TIMESHARE = "ts"  # the 分时 view sits among the periods: one exclusive choice of what the chart shows
_PERIOD_LABELS = {
    TIMESHARE: QT_TRANSLATE_NOOP("ChartPanel", "Intraday"),
    "1m": QT_TRANSLATE_NOOP("ChartPanel", "1m"),
    "5m": QT_TRANSLATE_NOOP("ChartPanel", "5m"),
    "15m": QT_TRANSLATE_NOOP("ChartPanel", "15m"),
    "30m": QT_TRANSLATE_NOOP("ChartPanel", "30m"),
    "60m": QT_TRANSLATE_NOOP("ChartPanel", "60m"),
    "1d": QT_TRANSLATE_NOOP("ChartPanel", "Day"),
    "1w": QT_TRANSLATE_NOOP("ChartPanel", "Week"),
    "1mo": QT_TRANSLATE_NOOP("ChartPanel", "Month"),
}
# Short labels (the toolbar shares a laptop-width dock with 16 buttons); the tooltip says them in full.
_ADJUST_LABELS = {
    "none": QT_TRANSLATE_NOOP("ChartPanel", "No adj."),
    "forward": QT_TRANSLATE_NOOP("ChartPanel", "Fwd adj."),
    "backward": QT_TRANSLATE_NOOP("ChartPanel", "Back adj."),
}


def _tr(text: str) -> str:
    return QCoreApplication.translate("ChartPanel", text)


class ChartToolbarWidget(QWidget):
    """The strip above the chart; it only reports what the user picked."""

    sig_symbol_entered = Signal(str)
    sig_period_clicked = Signal(str)
    sig_adjust_chosen = Signal(str)
    sig_group_toggled = Signal(str, bool)  # overlay or sub-pane group, shown
    sig_red_up_toggled = Signal(bool)
    sig_ma_windows_clicked = Signal()
    sig_draw_tool_chosen = Signal(str)  # "trend", "hline" or "fib"
    sig_delete_drawing_clicked = Signal()
    sig_clear_drawings_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("chart_toolbar")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(4, 3, 2, 3)
        layout.setSpacing(1)

        self.symbol_edit = QLineEdit(self)
        self.symbol_edit.setObjectName("chart_symbol_edit")
        self.symbol_edit.setPlaceholderText(_tr("Code, e.g. 600000"))
        self.symbol_edit.setFixedWidth(78)
        self.symbol_edit.returnPressed.connect(self._on_symbol_edit_return_pressed)
        layout.addWidget(self.symbol_edit)
        self.name_label = QLabel(self)
        self.name_label.setObjectName("chart_name_label")
        layout.addWidget(self.name_label)
        # The legend's title names the instrument; on a laptop-width dock the toolbar needs the room.
        self.name_label.hide()
        layout.addSpacing(4)

        self.period_buttons: dict[str, QToolButton] = {}
        self._period_group = QButtonGroup(self)
        self._period_group.setExclusive(True)
        for key in (TIMESHARE, *PERIODS):
            button = self._tool_button(f"chart_period_{key}", _tr(_PERIOD_LABELS[key]), checkable=True)
            button.clicked.connect(lambda _=False, k=key: self.sig_period_clicked.emit(k))
            self._period_group.addButton(button)
            self.period_buttons[key] = button
            layout.addWidget(button)
        self.period_buttons[TIMESHARE].setToolTip(_tr("Intraday time-share (分时): today's minute prices (F5)"))
        layout.addSpacing(4)

        self.adjust_combo = QComboBox(self)
        self.adjust_combo.setObjectName("chart_adjust_combo")
        for key in ADJUSTMENTS:
            self.adjust_combo.addItem(_tr(_ADJUST_LABELS[key]), key)
        self.adjust_combo.setToolTip(_tr("Price adjustment: unadjusted, forward (前复权) or backward (后复权)"))
        # Sized to its longest label, so a narrow dock never cuts a label in half.
        self.adjust_combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.adjust_combo.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.adjust_combo.activated.connect(self._on_adjust_combo_activated)
        layout.addWidget(self.adjust_combo)
        layout.addSpacing(4)

        self.group_buttons: dict[str, QToolButton] = {}
        for key in (*OVERLAYS, *SUB_PANES):
            # Indicator names are the same in Chinese terminals (MA, MACD, KDJ ...), except volume.
            text = _tr("VOL") if key == "VOL" else key
            button = self._tool_button(f"chart_group_{key}", text, checkable=True)
            button.toggled.connect(lambda shown, k=key: self.sig_group_toggled.emit(k, shown))
            self.group_buttons[key] = button
            layout.addWidget(button)
            if key == OVERLAYS[-1]:
                layout.addSpacing(4)
        layout.addStretch(1)
        self._build_draw_menu(layout)
        self._build_menu(layout)
        self._fixed: list[QWidget] = [
            self.symbol_edit,
            *self.period_buttons.values(),
            self.adjust_combo,
            self.draw_button,
            self.options_button,
        ]
        # A narrow dock clips the rightmost toggles rather than forcing the whole window wider.
        layout.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def _tool_button(self, name: str, text: str, checkable: bool = False) -> QToolButton:
        button = QToolButton(self)
        button.setObjectName(name)
        button.setText(text)
        button.setCheckable(checkable)
        button.setAutoRaise(True)
        return button

    def _build_draw_menu(self, layout: QHBoxLayout) -> None:
        button = self.draw_button = self._tool_button("chart_draw_button", "✎")
        button.setToolTip(_tr("Drawing tools: click the chart to place points; Delete removes the selected one"))
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)
        self.draw_actions: dict[str, QAction] = {}
        for key, text in (
            ("trend", _tr("Trend line")),
            ("hline", _tr("Horizontal line")),
            ("fib", _tr("Fibonacci retracement")),
        ):
            action = QAction(text, menu)
            action.setObjectName(f"chart_draw_{key}_action")
            action.triggered.connect(lambda _=False, k=key: self.sig_draw_tool_chosen.emit(k))
            menu.addAction(action)
            self.draw_actions[key] = action
        menu.addSeparator()
        delete = QAction(_tr("Delete selected drawing"), menu)
        delete.triggered.connect(self.sig_delete_drawing_clicked.emit)
        clear = QAction(_tr("Delete all drawings of this symbol"), menu)
        clear.triggered.connect(self.sig_clear_drawings_clicked.emit)
        menu.addAction(delete)
        menu.addAction(clear)
        button.setMenu(menu)
        layout.addWidget(button)

    def _build_menu(self, layout: QHBoxLayout) -> None:
        button = self.options_button = self._tool_button("chart_options_button", "⋯")
        button.setToolTip(_tr("Chart options"))
        button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(button)
        # Indicator toggles that do not fit a narrow dock move here instead of being cut to "B…L".
        self.overflow_actions: dict[str, QAction] = {}
        for key, toggle in self.group_buttons.items():
            action = QAction(toggle.text(), menu)
            action.setObjectName(f"chart_group_{key}_action")
            action.setCheckable(True)
            action.setVisible(False)
            action.toggled.connect(lambda shown, k=key: self._on_overflow_action_toggled(k, shown))
            toggle.toggled.connect(action.setChecked)  # the same state, whichever of the two was clicked
            menu.addAction(action)
            self.overflow_actions[key] = action
        self._overflow_separator = menu.addSeparator()
        self._overflow_separator.setVisible(False)
        self.green_up_action = QAction(_tr("Green up, red down"), menu)
        self.green_up_action.setObjectName("chart_green_up_action")
        self.green_up_action.setCheckable(True)
        self.green_up_action.toggled.connect(lambda green: self.sig_red_up_toggled.emit(not green))
        menu.addAction(self.green_up_action)
        self.ma_action = QAction(_tr("Moving average windows…"), menu)
        self.ma_action.setObjectName("chart_ma_windows_action")
        self.ma_action.triggered.connect(self.sig_ma_windows_clicked.emit)
        menu.addAction(self.ma_action)
        button.setMenu(menu)
        layout.addWidget(button)

    # -- state shown -------------------------------------------------------------------------------

    def show_state(self, symbol: str, name: str, period: str, adjust: str) -> None:
        if not self.symbol_edit.hasFocus():
            self.symbol_edit.setText(symbol)
            self.symbol_edit.setCursorPosition(0)  # show the code's start, not its exchange suffix
        self.name_label.setText(name)
        self.show_period(period)
        index = self.adjust_combo.findData(adjust)
        if index >= 0:
            self.adjust_combo.setCurrentIndex(index)

    def show_period(self, period: str) -> None:
        button = self.period_buttons.get(period)
        if button is not None:
            button.setChecked(True)

    def show_kline_controls(self, enabled: bool) -> None:
        """Adjustment and indicator toggles apply to K-lines only: greyed out over the 分时 view."""
        self.adjust_combo.setEnabled(enabled)
        for key, button in self.group_buttons.items():
            button.setEnabled(enabled)
            self.overflow_actions[key].setEnabled(enabled)

    def show_groups(self, shown: Iterable[str]) -> None:
        shown = set(shown)
        for key, button in self.group_buttons.items():
            for toggle in (button, self.overflow_actions[key]):
                toggle.blockSignals(True)
                toggle.setChecked(key in shown)
                toggle.blockSignals(False)

    def overflowed(self) -> list[str]:
        """The indicator toggles moved into the ⋯ menu because the toolbar is too narrow for them."""
        return [key for key, action in self.overflow_actions.items() if action.isVisible()]

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        self._fit_toggles(event.size().width())

    def _fit_toggles(self, width: int) -> None:
        # Periods, adjustment and the menus always show; indicator toggles fill what is left from the
        # left (MA first), and the rest go to the ⋯ menu, so no button is ever squeezed and elided.
        layout = self.layout()
        assert layout is not None
        margins = layout.contentsMargins()
        spacing = layout.spacing()
        used = margins.left() + margins.right() + 12  # the three 4 px gaps between the groups
        used += sum(_shown_width(w) + spacing for w in self._fixed)
        fits = True
        for key, button in self.group_buttons.items():
            used += _shown_width(button) + spacing
            fits = fits and used <= width
            button.setVisible(fits)
            self.overflow_actions[key].setVisible(not fits)
        self._overflow_separator.setVisible(not fits)

    def show_red_up(self, red_up: bool) -> None:
        self.green_up_action.blockSignals(True)
        self.green_up_action.setChecked(not red_up)
        self.green_up_action.blockSignals(False)

    def apply_theme(self, theme: ChartTheme) -> None:
        self.setStyleSheet(
            f"QWidget#chart_toolbar {{ background: {theme.background}; }}"
            f"QWidget#chart_toolbar QLabel {{ color: {theme.text}; font-weight: bold; }}"
            f"QToolButton {{ color: {theme.muted_text}; padding: 2px 2px; border: none; }}"
            f"QToolButton:checked {{ color: {theme.text}; background: {theme.grid}; border-radius: 3px; }}"
            f"QToolButton:hover {{ color: {theme.text}; }}"
            f"QLineEdit, QComboBox {{ color: {theme.text}; background: {theme.background};"
            f" border: 1px solid {theme.info_border}; border-radius: 3px; padding: 1px 4px; }}"
        )

    # -- slots ---------------------------------------------------------------------------------------

    def _on_symbol_edit_return_pressed(self) -> None:
        text = self.symbol_edit.text().strip()
        if text:
            self.sig_symbol_entered.emit(text)

    def _on_overflow_action_toggled(self, key: str, shown: bool) -> None:
        button = self.group_buttons[key]
        button.setChecked(shown)  # the button's toggled signal tells the chart, as a click would

    def _on_adjust_combo_activated(self, index: int) -> None:
        self.sig_adjust_chosen.emit(str(self.adjust_combo.itemData(index)))


def _shown_width(widget: QWidget) -> int:
    """The width a widget takes unsqueezed: its size hint within its minimum and maximum (a fixed width)."""
    return min(max(widget.sizeHint().width(), widget.minimumWidth()), widget.maximumWidth())
