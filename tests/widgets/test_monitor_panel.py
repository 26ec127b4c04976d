"""MonitorPanel and LogPanel offscreen: sections with levels and sparklines, alert acknowledge, log filters."""

from __future__ import annotations

from PySide6.QtCore import Qt

from widgets.log_panel import LogPanel, LogRow
from widgets.monitor.sparkline import LEVEL_COLOURS
from widgets.monitor_panel import SECTIONS, AlertView, MetricView, MonitorPanel


def test_sections_show_text_level_and_sparkline(qtbot) -> None:  # noqa: ANN001
    panel = MonitorPanel()
    qtbot.addWidget(panel)
    panel.resize(1000, 600)
    panel.show()
    assert [panel.sections[k].title() for k, _ in SECTIONS] == ["System", "App", "Bridge", "Data", "Models", "Trading"]
    panel.set_section(
        "bridge",
        [
            MetricView("lat", "Latency p99", "35 ms", "ok", (10.0, 20.0, 35.0), True),
            MetricView("state", "Connection", "reconnecting", "critical"),
        ],
    )
    assert panel.metric_text("bridge", "lat") == "35 ms"
    assert panel.sparkline("bridge", "lat").points == 3
    assert panel.sparkline("bridge", "state") is None
    assert panel.metric_level("bridge", "state") == "critical"
    value_label = panel._rows["bridge"]["state"].value
    assert LEVEL_COLOURS["critical"] in value_label.styleSheet()
    # Updating keeps one row per key.
    panel.set_section("bridge", [MetricView("lat", "Latency p99", "n/a", "n/a", (10.0, 20.0, 35.0), True)])
    assert panel.metric_text("bridge", "lat") == "n/a" and len(panel._rows["bridge"]) == 2
    grabbed = panel.grab()
    assert not grabbed.isNull() and grabbed.width() > 0


def test_alert_list_acknowledge(qtbot) -> None:  # noqa: ANN001
    panel = MonitorPanel()
    qtbot.addWidget(panel)
    alerts = [
        AlertView(
            1, "critical", "critical", "Bridge disconnected", "bridge.connected < 1", "09:31:00", "firing", True, False
        ),
        AlertView(
            2, "warning", "warning", "Daily bars stale", "data.1d.behind_days > 2", "09:30:00", "firing", True, False
        ),
        AlertView(3, "warning", "warning", "Model stale", "", "08:00:00", "resolved", False, True),
    ]
    panel.set_alerts(alerts)
    assert panel.alert_tree.topLevelItemCount() == 3
    assert panel.tabs.tabText(1) == "Alerts (2)"
    with qtbot.waitSignal(panel.sig_acknowledge_requested) as blocker:
        panel.ack_all_button.click()
    assert blocker.args == [[1, 2]]
    panel.alert_tree.topLevelItem(1).setSelected(True)
    with qtbot.waitSignal(panel.sig_acknowledge_requested) as blocker:
        panel.ack_button.click()
    assert blocker.args == [[2]]
    panel.set_alerts(alerts)  # a refresh keeps the selection
    assert panel.selected_alert_ids() == [2]
    with qtbot.waitSignal(panel.sig_clear_resolved_requested):
        panel.clear_button.click()


def _rows() -> list[LogRow]:
    return [
        LogRow("09:30:00.000", "DEBUG", 10, "core.quotes", "hub started"),
        LogRow("09:30:01.000", "INFO", 20, "app.data", "imported 3 files"),
        LogRow("09:30:02.000", "WARNING", 30, "core.bridge", "bridge reconnecting"),
        LogRow(
            "09:30:03.000",
            "ERROR",
            40,
            "qdesk.crash",
            "unhandled exception",
            "Traceback ...\nZeroDivisionError: division by zero",
        ),
    ]


def test_log_panel_level_and_text_filter(qtbot) -> None:  # noqa: ANN001
    panel = LogPanel()
    qtbot.addWidget(panel)
    panel.append(_rows())
    assert [r.message for r in panel.visible_rows()] == [
        "imported 3 files",
        "bridge reconnecting",
        "unhandled exception",
    ]  # INFO and up by default
    panel.level_combo.setCurrentIndex(0)
    assert len(panel.visible_rows()) == 4 and panel.count_label.text() == "4 of 4"
    panel.level_combo.setCurrentIndex(2)
    assert [r.level for r in panel.visible_rows()] == ["WARNING", "ERROR"]
    panel.filter_edit.setText("zerodivision")  # matches the traceback, case-insensitively
    assert [r.logger for r in panel.visible_rows()] == ["qdesk.crash"]
    panel.table.setCurrentIndex(panel.proxy.index(0, 0))
    assert "ZeroDivisionError" in panel.details.toPlainText()
    panel.filter_edit.setText("bridge")
    assert [r.message for r in panel.visible_rows()] == ["bridge reconnecting"]  # by source too
    assert panel.count_label.text() == "1 of 4"
    assert panel.proxy.data(panel.proxy.index(0, 3), Qt.ItemDataRole.DisplayRole) == "bridge reconnecting"


def test_log_panel_keeps_a_bounded_tail(qtbot) -> None:  # noqa: ANN001
    from widgets import log_panel

    panel = LogPanel()
    qtbot.addWidget(panel)
    rows = [LogRow(f"{i}", "INFO", 20, "x", f"m{i}") for i in range(log_panel.CAPACITY + 10)]
    panel.append(rows[:100])
    panel.append(rows[100:])
    assert len(panel.model.rows) == log_panel.CAPACITY
    assert panel.model.rows[0].message == "m10" and panel.model.rows[-1].message == rows[-1].message


def test_sparkline_draws_oldest_left_newest_right_in_the_level_colour(qtbot) -> None:  # noqa: ANN001
    from PySide6.QtGui import QColor

    from widgets.monitor.sparkline import Sparkline

    spark = Sparkline()
    qtbot.addWidget(spark)
    spark.resize(121, 26)
    spark.set_values([1.0, float("nan"), 3.0, 2.0], "critical")
    line = [spark.polyline().at(i) for i in range(spark.polyline().size())]
    assert [round(p.x()) for p in line] == [0, 80, 120]  # the NaN sample leaves a gap, not a zero
    assert line[1].y() < line[2].y() < line[0].y()  # the highest value is drawn nearest the top
    image = spark.grab().toImage()
    colours = {image.pixelColor(x, y).name() for x in range(image.width()) for y in range(image.height())}
    assert QColor(LEVEL_COLOURS["critical"]).name() in colours
    spark.set_values([5.0, 5.0], "ok")  # a flat line sits mid-height instead of on an edge
    assert {round(spark.polyline().at(i).y()) for i in range(2)} == {12}
