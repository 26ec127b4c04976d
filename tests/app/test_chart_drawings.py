"""Drawing tools on a real chart: mouse-placed trend/horizontal/Fibonacci, delete, saved per symbol, any period."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from pytestqt.qtbot import QtBot

from app.chart_drawings import load_drawings
from app.chart_presenter import ChartPresenter
from core.data.importer import import_files
from core.storage import MarketStore
from widgets.chart.drawings import FIB_LEVELS, bar_index
from widgets.chart_panel import ChartPanel

SYMBOL = "000001.SZ"


@pytest.fixture(scope="module")
def store_path(cn_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("drawings") / "market.sqlite"
    store = MarketStore.open(path)
    try:
        for _ in import_files(store, [cn_data / "daily" / "000001.SZ.csv", cn_data / "daily" / "600000.SH.csv"]):
            pass
    finally:
        store.close()
    yield path


def _open(qtbot: QtBot, store_path: Path, drawings_file: Path) -> tuple[ChartPanel, ChartPresenter, list[object]]:
    panel = ChartPanel()
    panel.resize(1100, 700)
    qtbot.addWidget(panel)
    panel.show()
    qtbot.waitExposed(panel)
    presenter = ChartPresenter(panel, store_path, None, {}, drawings_file=drawings_file)
    loaded: list[object] = []
    presenter.sig_loaded.connect(loaded.append)
    return panel, presenter, loaded


def _settle(qtbot: QtBot, presenter: ChartPresenter, loaded: list[object], n: int) -> None:
    qtbot.waitUntil(lambda: len(loaded) >= n and not presenter.busy, timeout=20_000)


def _click(qtbot: QtBot, panel: ChartPanel, index: float, price: float, button: Qt.MouseButton) -> None:
    """A real mouse click on the price pane at bar `index`, `price`."""
    scene = panel.price.view.mapViewToScene(QPointF(index, price))
    at = panel.graphics.mapFromScene(scene)
    qtbot.mouseClick(panel.graphics.viewport(), button, pos=QPoint(at.x(), at.y()))


def _saved(path: Path) -> list[dict[str, object]]:
    return json.loads(path.read_text(encoding="utf-8"))["symbols"].get(SYMBOL, [])


def test_drawings_are_placed_by_mouse_saved_per_symbol_and_survive_a_period_change(
    qtbot: QtBot, store_path: Path, tmp_path: Path
) -> None:
    file = tmp_path / "chart_drawings.json"
    panel, presenter, loaded = _open(qtbot, store_path, file)
    presenter.open_symbol(SYMBOL)
    _settle(qtbot, presenter, loaded, 1)
    data = panel.data
    assert data is not None
    first, last = panel.visible_range()
    a, b = first + 10, last - 10
    low, high = float(data.low[a]), float(data.high[b])

    panel.toolbar.draw_actions["trend"].trigger()
    _click(qtbot, panel, a, low, Qt.MouseButton.LeftButton)
    assert not file.exists()  # one point placed: nothing to save yet
    _click(qtbot, panel, b, high, Qt.MouseButton.LeftButton)
    panel.toolbar.draw_actions["hline"].trigger()
    _click(qtbot, panel, (a + b) / 2, high, Qt.MouseButton.LeftButton)
    panel.toolbar.draw_actions["fib"].trigger()
    _click(qtbot, panel, a, high, Qt.MouseButton.LeftButton)
    _click(qtbot, panel, b, low, Qt.MouseButton.LeftButton)

    panel.toolbar.draw_actions["trend"].trigger()  # armed, one point placed, then Esc: nothing is drawn
    _click(qtbot, panel, a, low, Qt.MouseButton.LeftButton)
    qtbot.keyClick(panel.graphics, Qt.Key.Key_Escape)
    assert panel.drawings.tool is None
    _click(qtbot, panel, b, high, Qt.MouseButton.LeftButton)

    saved = _saved(file)
    assert [d["kind"] for d in saved] == ["trend", "hline", "fib"]
    trend_points = saved[0]["points"]
    assert [p[0][:10] for p in trend_points] == [str(data.time[a])[:10], str(data.time[b])[:10]]  # type: ignore[index]
    assert trend_points[0][1] == pytest.approx(low, rel=0.01)  # type: ignore[index]
    fib = panel.drawings._segments[2]
    assert [y for _, y, _, _ in fib] == pytest.approx([low + (high - low) * lv for lv in FIB_LEVELS], rel=0.01)

    # Weekly bars: each anchor lands on the week that holds its day.
    presenter.set_period("1w")
    _settle(qtbot, presenter, loaded, 2)
    weeks = panel.data
    assert weeks is not None and weeks.period == "1w"
    x0, _, x1, _ = panel.drawings._segments[0][0]
    for x, day in ((x0, data.time[a]), (x1, data.time[b])):
        week = int(x)
        assert weeks.time[week] >= day and (week == 0 or weeks.time[week - 1] < day)

    # Pick the trend line with a click on it, then Delete; right-click the horizontal line and delete it.
    presenter.set_period("1d")
    _settle(qtbot, presenter, loaded, 3)
    panel.set_visible_range(first, last - first + 1)
    _click(qtbot, panel, (a + b) / 2, (low + high) / 2, Qt.MouseButton.LeftButton)
    assert panel.drawings.selected == 0
    qtbot.keyClick(panel.graphics, Qt.Key.Key_Delete)
    assert [d["kind"] for d in _saved(file)] == ["hline", "fib"]
    _click(qtbot, panel, b + 5, high, Qt.MouseButton.RightButton)  # right of the fib, which also spans `high`
    assert panel.drawings.selected == 0 and panel.drawing_input.menu.isVisible()
    panel.drawing_input.delete_action.trigger()
    assert [d["kind"] for d in _saved(file)] == ["fib"]

    # Reopened: the fib comes back on 000001.SZ only.
    again, reopened, reloaded = _open(qtbot, store_path, file)
    reopened.open_symbol(SYMBOL)
    _settle(qtbot, reopened, reloaded, 1)
    assert [d.kind for d in again.drawings.drawings] == ["fib"]
    reopened.open_symbol("600000.SH")
    _settle(qtbot, reopened, reloaded, 2)
    assert again.drawings.drawings == []


def test_anchor_outside_the_loaded_bars_is_not_drawn_and_bad_entries_are_skipped(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    days = np.array(["2018-01-02", "2018-01-03", "2018-01-05"], "datetime64[s]")
    assert bar_index(days, np.datetime64("2018-01-04"), False) == 2  # a day with no bar: the next bar
    assert bar_index(days, np.datetime64("2018-01-08"), False) is None
    minutes = np.array(["2018-01-03 09:31", "2018-01-03 15:00", "2018-01-04 09:31"], "datetime64[s]")
    assert bar_index(minutes, np.datetime64("2018-01-04"), True) == 2  # a day's anchor: its first minute
    assert bar_index(minutes, np.datetime64("2017-12-29"), True) is None
    file = tmp_path / "chart_drawings.json"
    good = {"kind": "hline", "points": [["2018-01-03T00:00:00", 13.5]]}
    bad = [{"kind": "circle", "points": []}, {"kind": "trend", "points": [["2018-01-03", 1.0]]}, {"points": 3}]
    file.write_text(json.dumps({"symbols": {SYMBOL: [*bad, good]}}), encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        drawings = load_drawings(file)
    assert [d.kind for d in drawings[SYMBOL]] == ["hline"] and drawings[SYMBOL][0].points[0][1] == 13.5
    assert "drawing 1 of 000001.SZ not used: unknown kind 'circle'" in caplog.text
    assert "drawing 2 of 000001.SZ not used: trend needs 2 finite points" in caplog.text
