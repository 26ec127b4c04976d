"""MonitorPanel: health sections with sparklines and ok/warning/critical colours, the alert list, the log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QScrollArea,
    QTabWidget,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from widgets.log_panel import LogPanel
from widgets.monitor.sparkline import LEVEL_COLOURS, Sparkline
from widgets.tr import QT_TRANSLATE_NOOP

SECTIONS = (
    ("system", QT_TRANSLATE_NOOP("MonitorPanel", "System")),
    ("app", QT_TRANSLATE_NOOP("MonitorPanel", "App")),
    ("bridge", QT_TRANSLATE_NOOP("MonitorPanel", "Bridge")),
    ("data", QT_TRANSLATE_NOOP("MonitorPanel", "Data")),
    ("models", QT_TRANSLATE_NOOP("MonitorPanel", "Models")),
    ("trading", QT_TRANSLATE_NOOP("MonitorPanel", "Trading")),
)
_COLUMNS = 3
_ALERT_HEADERS = (
    QT_TRANSLATE_NOOP("MonitorPanel", "Severity"),
    QT_TRANSLATE_NOOP("MonitorPanel", "Alert"),
    QT_TRANSLATE_NOOP("MonitorPanel", "Details"),
    QT_TRANSLATE_NOOP("MonitorPanel", "Since"),
    QT_TRANSLATE_NOOP("MonitorPanel", "State"),
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("MonitorPanel", text)


@dataclass(frozen=True, slots=True)
class MetricView:
    """One line of a section, ready to show: translated label and text, level, recent values."""

    key: str
    label: str
    text: str
    level: str = "ok"  # ok | warning | critical | n/a
    history: tuple[float, ...] = ()
    sparkline: bool = False


@dataclass(frozen=True, slots=True)
class AlertView:
    alert_id: int
    severity: str  # info | warning | critical
    severity_text: str
    title: str
    detail: str
    since: str
    state: str  # translated: firing, acknowledged, silenced, resolved
    active: bool
    acknowledged: bool


class _MetricRow:
    def __init__(self, parent: QWidget, layout: QGridLayout, row: int, view: MetricView) -> None:
        self.name = QLabel(view.label, parent)
        self.value = QLabel(parent)
        self.value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.spark = Sparkline(parent) if view.sparkline else None
        layout.addWidget(self.name, row, 0)
        layout.addWidget(self.value, row, 1)
        if self.spark is not None:
            layout.addWidget(self.spark, row, 2)
        self.level = ""

    def show(self, view: MetricView) -> None:
        if view.text != self.value.text():
            self.value.setText(view.text)
        if view.level != self.level:
            self.level = view.level
            weight = "bold" if view.level in ("warning", "critical") else "normal"
            colour = LEVEL_COLOURS.get(view.level, LEVEL_COLOURS["n/a"])
            self.value.setStyleSheet(f"color: {colour}; font-weight: {weight};")
            self.value.setProperty("level", view.level)
        if self.spark is not None:
            self.spark.set_values(view.history, view.level)


class MonitorPanel(QWidget):
    """Renders what the presenter hands over; acknowledging asks the presenter."""

    sig_acknowledge_requested = Signal(list)  # alert ids
    sig_clear_resolved_requested = Signal()
    HEALTH_TAB = 0

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.summary_label = QLabel(self)
        self.tabs = QTabWidget(self)
        self.sections: dict[str, QGroupBox] = {}
        self._rows: dict[str, dict[str, _MetricRow]] = {}
        self.tabs.addTab(self._build_health(), _tr("Health"))
        self.tabs.addTab(self._build_alerts(), _tr("Alerts"))
        self.log_panel = LogPanel(self)
        self.tabs.addTab(self.log_panel, _tr("Log"))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.summary_label)
        layout.addWidget(self.tabs, 1)
        self.set_summary(_tr("Collecting…"), "n/a")

    def _build_health(self) -> QWidget:
        body = QWidget(self)
        grid = QGridLayout(body)
        for i, (key, title) in enumerate(SECTIONS):
            box = QGroupBox(_tr(title), body)
            box.setObjectName(f"monitor_{key}")
            rows = QGridLayout(box)
            rows.setColumnStretch(2, 1)
            self.sections[key] = box
            self._rows[key] = {}
            grid.addWidget(box, i // _COLUMNS, i % _COLUMNS)
        grid.setRowStretch(len(SECTIONS) // _COLUMNS + 1, 1)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(body)
        return scroll

    def _build_alerts(self) -> QWidget:
        page = QWidget(self)
        self.alert_tree = QTreeWidget(page)
        self.alert_tree.setRootIsDecorated(False)
        self.alert_tree.setColumnCount(len(_ALERT_HEADERS))
        self.alert_tree.setHeaderLabels([_tr(h) for h in _ALERT_HEADERS])
        self.alert_tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.alert_tree.header().setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        self.ack_button = QPushButton(_tr("Acknowledge"), page)
        self.ack_all_button = QPushButton(_tr("Acknowledge all"), page)
        self.clear_button = QPushButton(_tr("Clear resolved"), page)
        self.ack_button.clicked.connect(self._on_ack_button_clicked)
        self.ack_all_button.clicked.connect(self._on_ack_all_button_clicked)
        self.clear_button.clicked.connect(self.sig_clear_resolved_requested)
        buttons = QHBoxLayout()
        buttons.addWidget(self.ack_button)
        buttons.addWidget(self.ack_all_button)
        buttons.addStretch(1)
        buttons.addWidget(self.clear_button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.alert_tree, 1)
        layout.addLayout(buttons)
        self._alerts: list[AlertView] = []
        return page

    # -- view-state in ---------------------------------------------------------------------
    def set_section(self, section: str, views: Sequence[MetricView]) -> None:
        box, rows = self.sections[section], self._rows[section]
        layout = box.layout()
        assert isinstance(layout, QGridLayout)
        for view in views:
            row = rows.get(view.key)
            if row is None:
                row = rows[view.key] = _MetricRow(box, layout, len(rows), view)
            row.show(view)

    def metric_text(self, section: str, key: str) -> str:
        return self._rows[section][key].value.text()

    def metric_level(self, section: str, key: str) -> str:
        return self._rows[section][key].level

    def sparkline(self, section: str, key: str) -> Sparkline | None:
        return self._rows[section][key].spark

    @property
    def health_shown(self) -> bool:
        """Whether the sections can be seen now (a hidden dock or another tab needs no redraw)."""
        return self.isVisible() and self.tabs.currentIndex() == self.HEALTH_TAB

    def set_summary(self, text: str, level: str) -> None:
        self.summary_label.setText(text)
        colour = LEVEL_COLOURS.get(level, LEVEL_COLOURS["n/a"])
        self.summary_label.setStyleSheet(f"color: {colour}; font-weight: bold;")

    def set_alerts(self, alerts: Sequence[AlertView]) -> None:
        if list(alerts) == self._alerts:
            return
        selected = set(self.selected_alert_ids())
        self._alerts = list(alerts)
        self.alert_tree.clear()
        for alert in alerts:
            item = QTreeWidgetItem([alert.severity_text, alert.title, alert.detail, alert.since, alert.state])
            item.setData(0, Qt.ItemDataRole.UserRole, alert.alert_id)
            colour = QColor(
                LEVEL_COLOURS.get(alert.severity, LEVEL_COLOURS["n/a"]) if alert.active else LEVEL_COLOURS["n/a"]
            )
            for column in (0, 1):
                item.setForeground(column, colour)
            self.alert_tree.addTopLevelItem(item)
            item.setSelected(alert.alert_id in selected)
        firing = sum(1 for a in alerts if a.active and not a.acknowledged)
        self.tabs.setTabText(1, _tr("Alerts ({count})").format(count=firing) if firing else _tr("Alerts"))

    def selected_alert_ids(self) -> list[int]:
        return [int(item.data(0, Qt.ItemDataRole.UserRole)) for item in self.alert_tree.selectedItems()]

    # -- intents out -------------------------------------------------------------------------
    def _on_ack_button_clicked(self) -> None:
        ids = self.selected_alert_ids()
        if ids:
            self.sig_acknowledge_requested.emit(ids)

    def _on_ack_all_button_clicked(self) -> None:
        ids = [a.alert_id for a in self._alerts if a.active and not a.acknowledged]
        if ids:
            self.sig_acknowledge_requested.emit(ids)
