"""Drawing tools on a real chart: mouse-placed trend/horizontal/Fibonacci, delete, saved per symbol, any period."""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from pytestqt.qtbot import QtBot

from app.chart_drawings import load_drawings
from app.chart_presenter import ChartPresenter
from core.data.importer import import_files
from core.market.series import Adjust
from core.storage import MarketStore
from tests.realdata import real_data
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


def _raw_low(day: str) -> float:
    """The traded low of `day` straight from the vendor CSV, not through the store."""
    for line in real_data("cn", "daily", f"{SYMBOL}.csv").read_text().splitlines():
        if line.startswith(day):
            return float(line.split(",")[3])
    raise AssertionError(f"no bar on {day}")


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
    # Drawn on 前复权 prices, saved in the real ones: the CSV's low of that day.
    assert trend_points[0][1] == pytest.approx(_raw_low(str(data.time[a])[:10]), rel=0.01)  # type: ignore[index]
    assert all(d["prices"] == "none" for d in saved)
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
    (only,) = drawings[SYMBOL]
    assert only.drawing.kind == "hline" and only.drawing.points[0][1] == 13.5
    assert only.prices is Adjust.FORWARD  # a file of version 1: prices as drawn on the default chart
    assert "drawing 1 of 000001.SZ not used: unknown kind 'circle'" in caplog.text
    assert "drawing 2 of 000001.SZ not used: trend needs 2 finite points" in caplog.text


def _trend_across_the_2022_dividend(qtbot: QtBot, panel: ChartPanel) -> tuple[str, str]:
    """A trend line from the low of 2022-07-01 to the high of 2022-09-01 (000001.SZ went ex on 07-22)."""
    data = panel.data
    assert data is not None
    days = [str(t)[:10] for t in data.time]
    a, b = days.index("2022-07-01"), days.index("2022-09-01")
    panel.set_visible_range(a - 20, b - a + 40)
    panel.toolbar.draw_actions["trend"].trigger()
    _click(qtbot, panel, a, float(data.low[a]), Qt.MouseButton.LeftButton)
    _click(qtbot, panel, b, float(data.high[b]), Qt.MouseButton.LeftButton)
    return days[a], days[b]


def _trend_ends(panel: ChartPanel, first: str, second: str) -> tuple[float, float, float, float]:
    """The shown trend line's two prices, and the shown low and high of the bars it was drawn on."""
    data = panel.data
    assert data is not None
    days = [str(t)[:10] for t in data.time]
    x0, y0, x1, y1 = panel.drawings._segments[0][0]
    assert (int(x0), int(x1)) == (days.index(first), days.index(second))
    return y0, y1, float(data.low[int(x0)]), float(data.high[int(x1)])


def test_a_line_drawn_under_forward_adjustment_sits_on_the_same_bars_unadjusted_and_backward(
    qtbot: QtBot, store_path: Path, tmp_path: Path
) -> None:
    panel, presenter, loaded = _open(qtbot, store_path, tmp_path / "chart_drawings.json")
    presenter.open_symbol(SYMBOL)  # 前复权, the default
    _settle(qtbot, presenter, loaded, 1)
    first, second = _trend_across_the_2022_dividend(qtbot, panel)
    y0, y1, low, high = _trend_ends(panel, first, second)
    # A click lands within a pixel of the price aimed at; the same bars' prices carry the same offset.
    drawn = (y0 / low, y1 / high)
    assert drawn == (pytest.approx(1, abs=1e-3), pytest.approx(1, abs=1e-3))
    for n, adjust in enumerate(("none", "backward", "forward"), start=2):
        presenter.set_adjust(adjust)
        _settle(qtbot, presenter, loaded, n)
        assert panel.data is not None and panel.data.adjust == adjust
        y0, y1, low, high = _trend_ends(panel, first, second)
        # The two ends lie either side of a dividend (their scales differ by 1.8%): one factor for both fails.
        assert (y0 / low, y1 / high) == (pytest.approx(drawn[0], rel=1e-9), pytest.approx(drawn[1], rel=1e-9))
    assert _saved(tmp_path / "chart_drawings.json")[0]["points"][0][1] == pytest.approx(_raw_low(first), rel=1e-3)


def test_after_a_new_dividend_moves_the_forward_prices_the_line_stays_on_its_bars(
    qtbot: QtBot, store_path: Path, tmp_path: Path
) -> None:
    copy = tmp_path / "market.sqlite"
    shutil.copy(store_path, copy)
    file = tmp_path / "chart_drawings.json"
    panel, presenter, loaded = _open(qtbot, copy, file)
    presenter.open_symbol(SYMBOL)
    _settle(qtbot, presenter, loaded, 1)
    first, second = _trend_across_the_2022_dividend(qtbot, panel)
    before = _trend_ends(panel, first, second)
    drawn = (before[0] / before[2], before[1] / before[3])
    store = MarketStore.open(copy)
    try:  # an ex-dividend day in December: every earlier forward-adjusted price moves down
        with store.transaction():
            store.query("UPDATE bars SET factor = factor * 1.05 WHERE symbol=? AND time >= '2022-12-01'", (SYMBOL,))
    finally:
        store.close()
    again, reopened, reloaded = _open(qtbot, copy, file)
    reopened.open_symbol(SYMBOL)
    _settle(qtbot, reopened, reloaded, 1)
    y0, y1, low, high = _trend_ends(again, first, second)
    assert low == pytest.approx(before[2] / 1.05)
    assert (y0 / low, y1 / high) == (pytest.approx(drawn[0], rel=1e-9), pytest.approx(drawn[1], rel=1e-9))


def test_a_version_1_file_is_read_as_drawn_in_the_chart_adjustment_and_rewritten_in_real_prices(
    qtbot: QtBot, store_path: Path, tmp_path: Path
) -> None:
    file = tmp_path / "chart_drawings.json"
    shown_low = 10.0  # a 前复权 price of 2022-07-01 as an older release saved it
    old = {"kind": "hline", "points": [["2022-07-01T00:00:00", shown_low]]}
    file.write_text(json.dumps({"version": 1, "symbols": {SYMBOL: [old]}}), encoding="utf-8")
    panel, presenter, loaded = _open(qtbot, store_path, file)
    presenter.open_symbol(SYMBOL)
    _settle(qtbot, presenter, loaded, 1)
    assert panel.drawings._segments[0][0][1] == pytest.approx(shown_low)  # where it was drawn
    (saved,) = _saved(file)
    assert saved["prices"] == "none" and json.loads(file.read_text())["version"] == 2
    real = saved["points"][0][1]  # type: ignore[index]
    assert real == pytest.approx(shown_low * 8.556221807 / 8.404958854)  # the factor after ÷ the day's factor
    presenter.set_adjust("none")
    _settle(qtbot, presenter, loaded, 2)
    assert panel.drawings._segments[0][0][1] == pytest.approx(real)
