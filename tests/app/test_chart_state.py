"""The chart reopens as the last session left it: symbol, period, adjustment and indicator panes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from pytestqt.qtbot import QtBot

from app.chart_state import CHART_STATE_FILE, ChartState, load_chart_state
from app.composition import build_chart
from app.services import open_services
from core.settings import AppSettings


def _chart(qtbot: QtBot, data_dir: Path):  # type: ignore[no-untyped-def]
    services = open_services(data_dir, demo=True)
    chart, presenter = build_chart(services, AppSettings())
    qtbot.addWidget(chart)
    presenter.wait(30)
    return services, chart, presenter


def test_the_chart_reopens_on_the_symbol_period_adjustment_and_panes_left(qtbot: QtBot, tmp_path: Path) -> None:
    services, chart, presenter = _chart(qtbot, tmp_path)
    try:
        first = presenter.symbol
        assert first  # a first start opens the watchlist's first stock
        presenter.open_symbol("600000.SH")
        presenter.set_period("1w")
        presenter.set_adjust("none")
        chart.set_sub_panes(["VOL", "KDJ"])
        presenter.wait(30)
    finally:
        services.close()
    saved = load_chart_state(tmp_path / "demo" / CHART_STATE_FILE)
    assert saved == ChartState("600000.SH", "1w", "none", ("MA",), ("VOL", "KDJ"))

    services, chart, presenter = _chart(qtbot, tmp_path)
    try:
        assert presenter.state() == saved
        qtbot.waitUntil(lambda: chart.data is not None and chart.data.symbol == "600000.SH", timeout=30_000)
        assert chart.data is not None and chart.data.period == "1w"
        assert chart.shown_groups() == ["MA", "VOL", "KDJ"]
        # KDJ's pane, built when the saved state asked for it, shows the loaded chart's values.
        assert [item.objectName() for item in chart.graphics.ci.items] == [
            "chart_pane_price",
            "chart_pane_VOL",
            "chart_pane_KDJ",
        ]
        assert "RSI" not in chart.panes
        for name, values in chart.data.studies["KDJ"].items():
            np.testing.assert_array_equal(chart.panes["KDJ"].line_values()[name], values)
    finally:
        services.close()


def test_a_damaged_or_stale_state_opens_the_chart_as_on_a_first_start(qtbot: QtBot, tmp_path: Path) -> None:
    folder = tmp_path / "demo"
    folder.mkdir()
    (folder / CHART_STATE_FILE).write_text('{"symbol": "600000.SH", "period": "1w"', encoding="utf-8")
    services, chart, presenter = _chart(qtbot, tmp_path)
    try:
        assert presenter.state().period == "1d" and presenter.symbol
    finally:
        services.close()
    (folder / CHART_STATE_FILE).write_text(
        '{"symbol": "999999.SH", "period": "7d", "adjust": "none", "overlays": [], "sub_panes": []}',
        encoding="utf-8",
    )
    services, chart, presenter = _chart(qtbot, tmp_path)
    try:
        # A symbol no longer stored and a period this version lacks fall back to the defaults.
        assert presenter.symbol != "999999.SH" and presenter.state().period == "1d"
    finally:
        services.close()
