"""MainWindow: the dock-based shell with menus and status bar; it emits intents and holds no services."""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QEvent, QObject, QSize, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QKeySequence, QResizeEvent
from PySide6.QtWidgets import (
    QDockWidget,
    QFrame,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMenu,
    QMessageBox,
    QScrollArea,
    QTabWidget,
    QWidget,
)

# A first start (no saved geometry) opens at a size that fits common laptop screens.
DEFAULT_SIZE = (1280, 800)


def _tr(text: str) -> str:
    return QCoreApplication.translate("MainWindow", text)


_DOCK_FEATURES = (
    QDockWidget.DockWidgetFeature.DockWidgetClosable
    | QDockWidget.DockWidgetFeature.DockWidgetMovable
    | QDockWidget.DockWidgetFeature.DockWidgetFloatable
)


def _hide_title_bar_while_docked(dock: QDockWidget) -> None:
    """A docked tab's title repeats its tab: drop the bar (22 px of a laptop screen) until it floats."""
    if dock.property("compact_title") is not None:
        return
    dock.setProperty("compact_title", True)

    def follow(floating: bool) -> None:
        # None puts the dock's own title bar back; PySide6's stub omits that documented value.
        dock.setTitleBarWidget(None if floating else QWidget(dock))  # type: ignore[arg-type]

    dock.topLevelChanged.connect(follow)
    follow(dock.isFloating())


class MainWindow(QMainWindow):
    """Top-level window: every panel lives in a dock added through `add_dock`."""

    sig_quit_requested = Signal()
    sig_reset_layout_requested = Signal()
    sig_save_workspace_requested = Signal(str)  # the name typed
    sig_load_workspace_requested = Signal(str)
    sig_delete_workspace_requested = Signal(str)
    sig_settings_requested = Signal()
    sig_leave_demo_requested = Signal()
    # Terminal hotkeys: F5 K-line/分时 chart, F6 watchlist, Page Up/Down previous/next symbol.
    sig_toggle_intraday_requested = Signal()
    sig_watchlist_requested = Signal()
    sig_step_symbol_requested = Signal(int)  # -1 previous, +1 next
    sig_instrument_info_requested = Signal()  # F10
    # A fact, not a request: the window has accepted a close, so its layout is final.
    sig_closed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("main_window")
        self.setWindowTitle(_tr("QDesk — A-share quant workstation"))
        self.resize(*DEFAULT_SIZE)
        self.setDockOptions(
            QMainWindow.DockOption.AnimatedDocks
            | QMainWindow.DockOption.AllowNestedDocks
            | QMainWindow.DockOption.AllowTabbedDocks
        )
        # Tabs on top read like a browser; Qt's default puts them under the docks.
        self.setTabPosition(Qt.DockWidgetArea.AllDockWidgetAreas, QTabWidget.TabPosition.North)
        # The bottom tabs (orders, training, backtest) run the full width: their tables and forms need it
        # more than the quote column needs the last few rows.
        self.setCorner(Qt.Corner.BottomLeftCorner, Qt.DockWidgetArea.BottomDockWidgetArea)
        self._docks: dict[str, QDockWidget] = {}
        self._growing: str | None = None
        # Dock area -> its width or height to keep; a dock beside the growing one in its own area keeps its width.
        self._kept_size: dict[Qt.DockWidgetArea | QDockWidget, int] = {}
        self._settled: QSize | None = None  # the window size the docks were last laid out for
        self._about_text = ""
        self._build_menus()
        self._build_status_bar()

    # -- docks ---------------------------------------------------------------------------------

    def add_dock(
        self,
        key: str,
        title: str,
        widget: QWidget,
        area: Qt.DockWidgetArea,
        *,
        tab_with: str | None = None,
        right_of: str | None = None,
    ) -> QDockWidget:
        """Wrap `widget` in a movable, floatable dock; `key` is the stable name saved layouts refer to.

        `tab_with` puts it in a tab beside that dock; `right_of` splits that dock's place, this one on the right.
        """
        if key in self._docks:
            raise ValueError(f"dock {key!r} already exists")
        dock = QDockWidget(title, self)
        # restoreState() matches docks by objectName, so it must never change between versions.
        dock.setObjectName(f"{key}_dock")
        dock.setFeatures(_DOCK_FEATURES)
        # Panels scroll inside their dock rather than impose their minimum size on the whole window:
        # one tall form in a bottom tab must not squeeze the chart above it.
        scroller = QScrollArea(dock)
        scroller.setObjectName(f"{key}_scroller")
        scroller.setWidgetResizable(True)
        scroller.setFrameShape(QFrame.Shape.NoFrame)
        scroller.setWidget(widget)
        dock.setWidget(scroller)
        dock.installEventFilter(self)
        if right_of is not None:
            self.splitDockWidget(self._docks[right_of], dock, Qt.Orientation.Horizontal)
        elif tab_with is None:
            self.addDockWidget(area, dock)
        else:
            self.tabifyDockWidget(self._docks[tab_with], dock)
            for tabbed in (self._docks[tab_with], dock):
                _hide_title_bar_while_docked(tabbed)
        action = dock.toggleViewAction()
        action.setObjectName(f"{key}_toggle_action")
        self._view_menu.insertAction(self._view_separator, action)
        self._docks[key] = dock
        return dock

    def set_growing_dock(self, key: str) -> None:
        """When the window grows or shrinks, only dock `key` changes size; the others keep theirs."""
        self._growing = key

    def dock(self, key: str) -> QDockWidget:
        """The dock registered under `key`."""
        return self._docks[key]

    def panel(self, key: str) -> QWidget:
        """The panel shown in dock `key` (docks hold it inside a scroll area)."""
        scroller = self._docks[key].widget()
        assert isinstance(scroller, QScrollArea)
        panel = scroller.widget()
        assert panel is not None
        return panel

    def dock_keys(self) -> list[str]:
        """Keys of all docks, in the order they were added."""
        return list(self._docks)

    # -- status bar ----------------------------------------------------------------------------

    def show_data_dir(self, path: str) -> None:
        """Show which data folder this session reads and writes."""
        self._data_label.setText(_tr("Data: {path}").format(path=path))
        self._data_label.setToolTip(path)

    def set_demo_mode(self, demo: bool) -> None:
        """In demo mode File offers to leave the demo for the user's own data."""
        self._leave_demo_action.setVisible(demo)

    def show_mode(self, text: str) -> None:
        """Show where market data comes from (demo replay, bridge, ...)."""
        self._mode_label.setText(text)

    def show_freshness(self, text: str, stale: bool = False) -> None:
        """Show how current the stored data is; `stale` paints it as a warning."""
        self._freshness_label.setText(text)
        self._freshness_label.setStyleSheet("color: #b05a00" if stale else "")

    def show_session(self, text: str) -> None:
        """Show the market session (pre-open auction, continuous, lunch break, closed)."""
        self._session_label.setText(text)

    def show_clock(self, text: str) -> None:
        """Show the exchange clock text, formatted by the caller."""
        self._clock_label.setText(text)

    def set_about_text(self, text: str) -> None:
        """Text of the Help → About box."""
        self._about_text = text

    # -- Qt overrides --------------------------------------------------------------------------

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt override)
        # A dock resized while the window keeps its size was sized by the user (or a layout restore):
        # that is the size to keep when the window itself changes size next.
        if (
            event.type() == QEvent.Type.Resize
            and isinstance(watched, QDockWidget)
            and self.size() == self._settled
            and watched is not self._docks.get(self._growing or "")
            and not watched.isFloating()
        ):
            area = self.dockWidgetArea(watched)
            growing = self._docks.get(self._growing or "")
            horizontal = area in (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)
            if growing is not None and area == self.dockWidgetArea(growing):
                self._kept_size[watched] = watched.width()
            else:
                self._kept_size[area] = watched.width() if horizontal else watched.height()
        return super().eventFilter(watched, event)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt override)
        super().resizeEvent(event)
        growing = self._docks.get(self._growing or "")
        if growing is not None and self._settled is not None and event.oldSize() != event.size():
            self._give_growth_to(growing)
        self._settled = event.size()

    def _give_growth_to(self, growing: QDockWidget) -> None:
        """Put every other dock back to its kept size; the growing dock takes what is left.

        One resizeDocks call an orientation: widths set one neighbour at a time would undo each other.
        """
        side = (Qt.DockWidgetArea.LeftDockWidgetArea, Qt.DockWidgetArea.RightDockWidgetArea)
        wide: list[tuple[QDockWidget, int]] = []
        high: list[tuple[QDockWidget, int]] = []
        for slot, size in self._kept_size.items():
            if isinstance(slot, QDockWidget):
                dock: QDockWidget | None = slot
                if self.dockWidgetArea(slot) != self.dockWidgetArea(growing):
                    continue
            else:
                dock = next((d for d in self._docks.values() if self._shown_in(d, slot) and d is not growing), None)
            if dock is None or dock.isFloating() or dock.isHidden():
                continue
            (wide if isinstance(slot, QDockWidget) or slot in side else high).append((dock, size))
        for kept, orientation in ((wide, Qt.Orientation.Horizontal), (high, Qt.Orientation.Vertical)):
            if not kept:
                continue
            extent = (lambda d: d.width()) if orientation is Qt.Orientation.Horizontal else (lambda d: d.height())
            total = sum(extent(d) for d, _ in kept) + extent(growing)
            rest = max(1, total - sum(size for _, size in kept))
            self.resizeDocks([growing, *(d for d, _ in kept)], [rest, *(size for _, size in kept)], orientation)

    def _shown_in(self, dock: QDockWidget, area: Qt.DockWidgetArea) -> bool:
        return self.dockWidgetArea(dock) == area and not dock.isFloating() and not dock.isHidden()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt override)
        super().closeEvent(event)
        if event.isAccepted():
            self.sig_closed.emit()

    # -- construction --------------------------------------------------------------------------

    def _build_menus(self) -> None:
        file_menu = self._add_menu("file_menu", _tr("&File"))
        settings_action = self._add_action(file_menu, "settings_action", _tr("&Settings…"))
        settings_action.setShortcut(QKeySequence.StandardKey.Preferences)
        settings_action.setMenuRole(QAction.MenuRole.PreferencesRole)
        settings_action.triggered.connect(self.sig_settings_requested)
        self._leave_demo_action = self._add_action(file_menu, "leave_demo_action", _tr("&Leave demo (open my data)"))
        self._leave_demo_action.triggered.connect(self.sig_leave_demo_requested)
        self._leave_demo_action.setVisible(False)
        file_menu.addSeparator()
        quit_action = self._add_action(file_menu, "quit_action", _tr("&Quit"))
        quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        quit_action.setMenuRole(QAction.MenuRole.QuitRole)
        quit_action.triggered.connect(self._on_quit_action_triggered)

        self._view_menu = self._add_menu("view_menu", _tr("&View"))
        # Dock toggles are inserted above this separator as docks are added.
        self._view_separator = self._view_menu.addSeparator()
        self._hotkeys: list[tuple[str, str]] = []
        for name, key, text, handler in (
            (
                "toggle_intraday_action",
                "F5",
                _tr("Chart: K-line / intraday (分时)"),
                self.sig_toggle_intraday_requested.emit,
            ),
            ("watchlist_action", "F6", _tr("Watchlist"), self.sig_watchlist_requested.emit),
            ("previous_symbol_action", "PgUp", _tr("Previous symbol in the list"), self._on_previous_triggered),
            ("next_symbol_action", "PgDown", _tr("Next symbol in the list"), self._on_next_triggered),
            ("instrument_info_action", "F10", _tr("Instrument info"), self.sig_instrument_info_requested.emit),
        ):
            action = self._add_action(self._view_menu, name, text)
            action.setShortcut(QKeySequence(key))
            action.triggered.connect(handler)
            self._hotkeys.append((QKeySequence(key).toString(QKeySequence.SequenceFormat.NativeText), text))
        self._hotkeys.append((_tr("Letters or digits"), _tr("键盘精灵: find a stock by code, name or pinyin initials")))
        self._hotkeys.append(("21 / 23", _tr("键盘精灵: a buy / sell ticket for the charted stock")))
        self._hotkeys.append(("← → ↑ ↓  + −", _tr("Chart: move the cursor, zoom in and out")))
        self._hotkeys.append((_tr("Del / right-click"), _tr("Chart: delete the selected drawing")))
        self._hotkeys.append(("Esc", _tr("Chart: cancel the drawing tool, hide the cursor")))

        self._view_menu.addSeparator()
        self._workspace_menu = self._view_menu.addMenu(_tr("&Workspaces"))
        self._workspace_menu.setObjectName("workspace_menu")
        self._delete_workspace_menu = QMenu(_tr("&Delete workspace"), self)
        self._delete_workspace_menu.setObjectName("delete_workspace_menu")
        self.show_workspaces([])
        reset_action = self._add_action(self._view_menu, "reset_layout_action", _tr("&Reset layout"))
        reset_action.triggered.connect(self._on_reset_action_triggered)

        help_menu = self._add_menu("help_menu", _tr("&Help"))
        shortcuts_action = self._add_action(help_menu, "shortcuts_action", _tr("&Keyboard shortcuts"))
        shortcuts_action.triggered.connect(self._on_shortcuts_action_triggered)
        about_action = self._add_action(help_menu, "about_action", _tr("&About QDesk"))
        about_action.setMenuRole(QAction.MenuRole.AboutRole)
        about_action.triggered.connect(self._on_about_action_triggered)

    def _add_menu(self, name: str, title: str) -> QMenu:
        menu = self.menuBar().addMenu(title)
        menu.setObjectName(name)
        return menu

    def _add_action(self, menu: QMenu, name: str, text: str) -> QAction:
        action = menu.addAction(text)
        action.setObjectName(name)
        return action

    def _build_status_bar(self) -> None:
        bar = self.statusBar()
        self._data_label = QLabel(self)
        self._data_label.setObjectName("data_label")
        self._mode_label = QLabel(self)
        self._mode_label.setObjectName("mode_label")
        self._freshness_label = QLabel(self)
        self._freshness_label.setObjectName("freshness_label")
        self._session_label = QLabel(self)
        self._session_label.setObjectName("session_label")
        self._clock_label = QLabel(self)
        self._clock_label.setObjectName("clock_label")
        bar.addWidget(self._data_label, 1)
        bar.addPermanentWidget(self._mode_label)
        bar.addPermanentWidget(self._freshness_label)
        bar.addPermanentWidget(self._session_label)
        bar.addPermanentWidget(self._clock_label)

    # -- slots ---------------------------------------------------------------------------------

    def _on_quit_action_triggered(self) -> None:
        self.sig_quit_requested.emit()

    def _on_reset_action_triggered(self) -> None:
        self.sig_reset_layout_requested.emit()

    def show_workspaces(self, names: list[str], enabled: bool = True) -> None:
        """List the saved workspaces under View → Workspaces: each loads on click, and can be deleted."""
        menu, delete_menu = self._workspace_menu, self._delete_workspace_menu
        menu.clear()
        delete_menu.clear()
        save = self._add_action(menu, "save_workspace_action", _tr("&Save workspace as…"))
        save.triggered.connect(self._on_save_workspace_triggered)
        save.setEnabled(enabled)
        if names:
            menu.addSeparator()
        for name in names:
            menu.addAction(name).triggered.connect(lambda _=False, n=name: self.sig_load_workspace_requested.emit(n))
            delete_menu.addAction(name).triggered.connect(
                lambda _=False, n=name: self.sig_delete_workspace_requested.emit(n)
            )
        menu.addSeparator()
        menu.addMenu(delete_menu)
        delete_menu.setEnabled(bool(names))

    def ask_workspace_name(self) -> str | None:
        """The name the user types for a new workspace; None when cancelled."""
        name, ok = QInputDialog.getText(self, _tr("Save workspace"), _tr("Workspace name:"))
        return name if ok else None

    def _on_save_workspace_triggered(self) -> None:
        name = self.ask_workspace_name()
        if name is not None:
            self.sig_save_workspace_requested.emit(name)

    def hotkeys(self) -> list[tuple[str, str]]:
        """(keys, what they do) for every shortcut the window offers, as Help → Keyboard shortcuts lists them."""
        return list(self._hotkeys)

    def _on_previous_triggered(self) -> None:
        self.sig_step_symbol_requested.emit(-1)

    def _on_next_triggered(self) -> None:
        self.sig_step_symbol_requested.emit(1)

    def _on_shortcuts_action_triggered(self) -> None:
        rows = "".join(f"<tr><td><b>{keys}</b>&nbsp;&nbsp;</td><td>{text}</td></tr>" for keys, text in self._hotkeys)
        box = QMessageBox(QMessageBox.Icon.NoIcon, _tr("Keyboard shortcuts"), f"<table>{rows}</table>", parent=self)
        box.setObjectName("shortcuts_box")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()

    def _on_about_action_triggered(self) -> None:
        # Non-modal open(): a modal exec() would start a nested loop under the shared asyncio loop.
        box = QMessageBox(QMessageBox.Icon.Information, _tr("About QDesk"), self._about_text, parent=self)
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.open()
