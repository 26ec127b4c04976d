"""Chart panel offscreen on real bars: indicator lines against pandas, keyboard and wheel, markers, culling."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from PySide6.QtCore import QPoint, QPointF, Qt
from PySide6.QtGui import QWheelEvent
from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from app.chart_view_data import chart_data
from core.data.importer import import_files
from core.market.chart_load import ChartRequest, load_chart
from core.market.series import Adjust, Period
from core.storage import MarketStore
from widgets.chart.candles import CHUNK
from widgets.chart.view_state import ChartData, ChartMarker
from widgets.chart_panel import ChartPanel

SYMBOL = "600000.SH"


@pytest.fixture(scope="module")
def daily(cn_data: Path, tmp_path_factory: pytest.TempPathFactory) -> ChartData:
    """600000.SH 2007-2022, forward adjusted, with every study group, as the presenter hands it over."""
    store = MarketStore.open(tmp_path_factory.mktemp("chart-widget") / "market.sqlite")
    try:
        for _ in import_files(store, [cn_data / "daily" / f"{SYMBOL}.csv"], freq="1d"):
            pass
        *_, loaded = load_chart(store, ChartRequest(SYMBOL, Period.DAY, Adjust.FORWARD))
    finally:
        store.close()
    return chart_data(loaded, "浦发银行")  # type: ignore[arg-type]


@pytest.fixture()
def panel(qtbot: QtBot, daily: ChartData) -> ChartPanel:
    widget = ChartPanel()
    qtbot.addWidget(widget)
    widget.resize(1100, 700)
    widget.show()
    qtbot.waitExposed(widget)
    widget.set_data(daily)
    return widget


def _reference(cn_data: Path) -> pd.DataFrame:
    """Forward-adjusted closes and indicators straight from the CSV with pandas, not through core.market."""
    raw = pd.read_csv(cn_data / "daily" / f"{SYMBOL}.csv")
    close = raw["close"] * raw["factor"] / raw["factor"].iloc[-1]
    out = pd.DataFrame({"close": close})
    out["MA5"] = close.rolling(5).mean()
    out["MA60"] = close.rolling(60).mean()
    out["EMA12"] = close.ewm(span=12, adjust=False).mean()
    mid, std = close.rolling(20).mean(), close.rolling(20).std(ddof=0)
    out["UPPER"], out["LOWER"] = mid + 2 * std, mid - 2 * std
    dif = close.ewm(span=12, adjust=False).mean() - close.ewm(span=26, adjust=False).mean()
    dea = dif.ewm(span=9, adjust=False).mean()
    out["DIF"], out["DEA"], out["MACD"] = dif, dea, 2 * (dif - dea)
    change = close.diff()
    up = change.clip(lower=0).ewm(alpha=1 / 6, adjust=False).mean()
    both = change.abs().ewm(alpha=1 / 6, adjust=False).mean()
    out["RSI6"] = up / both * 100
    return out


def test_drawn_indicator_lines_match_an_independent_computation(panel: ChartPanel, cn_data: Path) -> None:
    ref = _reference(cn_data)
    data = panel.data
    assert data is not None and len(data) == len(ref)
    np.testing.assert_allclose(data.close, ref["close"], rtol=1e-9)
    panel.set_overlays(["MA", "EMA", "BOLL"])
    panel.set_sub_panes(["VOL", "MACD", "RSI"])
    price_lines = panel.price.line_values()
    for name in ("MA5", "MA60", "EMA12", "UPPER", "LOWER"):
        np.testing.assert_allclose(price_lines[name], ref[name], rtol=1e-7, atol=1e-9, equal_nan=True, err_msg=name)
    macd = panel.panes["MACD"]
    for name in ("DIF", "DEA"):
        np.testing.assert_allclose(macd.line_values()[name], ref[name], rtol=1e-6, atol=1e-9, err_msg=name)
    assert macd.glyph is not None
    np.testing.assert_allclose(macd.glyph.heights, ref["MACD"], rtol=1e-6, atol=1e-9)  # drawn as sticks
    # pandas seeds Wilder's average at the first change; terminals (and core) at the first bar: skip the warm-up.
    rsi = panel.panes["RSI"].line_values()["RSI6"]
    np.testing.assert_allclose(rsi[200:], ref["RSI6"][200:], rtol=1e-6)


def test_crosshair_info_box_lists_the_bar_and_its_studies(panel: ChartPanel, cn_data: Path) -> None:
    ref = _reference(cn_data)
    data = panel.data
    assert data is not None
    index = len(data) - 10
    panel.set_cursor(index)
    text = panel.info_text()
    assert str(data.time[index])[:10] in text
    assert f"Close {data.close[index]:.2f}" in text
    assert f"MA5 {ref['MA5'].iloc[index]:.2f}" in text
    assert "MACD" in text and "DIF" in text
    panel.set_cursor(None)
    assert panel.info_text() == ""


def test_keyboard_zooms_and_pans_the_visible_range(qtbot: QtBot, panel: ChartPanel) -> None:
    data = panel.data
    assert data is not None
    n = len(data)
    first, last = panel.visible_range()
    assert last == n - 1 and last - first + 1 == 120  # opens on the newest half year
    graphics = panel.graphics
    qtbot.keyClick(graphics, Qt.Key.Key_Minus)  # zoom out: more bars, still ending at the newest
    f2, l2 = panel.visible_range()
    assert l2 - f2 + 1 == 150 and l2 == n - 1
    qtbot.keyClick(graphics, Qt.Key.Key_Plus)
    qtbot.keyClick(graphics, Qt.Key.Key_Plus)
    f3, l3 = panel.visible_range()
    assert l3 - f3 + 1 < 120
    qtbot.keyClick(graphics, Qt.Key.Key_Home)
    assert panel.visible_range()[0] == 0
    qtbot.keyClick(graphics, Qt.Key.Key_End)
    assert panel.visible_range()[1] == n - 1
    # ← puts the cursor on the newest bar, then walks it back; the view follows past the left edge.
    qtbot.keyClick(graphics, Qt.Key.Key_Left)
    assert panel.cursor_index == n - 1
    for _ in range(3):
        qtbot.keyClick(graphics, Qt.Key.Key_Left)
    assert panel.cursor_index == n - 4
    count = l3 - f3 + 1
    for _ in range(count):
        qtbot.keyClick(graphics, Qt.Key.Key_Left)
    assert panel.cursor_index == n - 4 - count
    assert panel.visible_range()[0] == panel.cursor_index  # panned left with the cursor
    qtbot.keyClick(graphics, Qt.Key.Key_Escape)
    assert panel.cursor_index is None


def test_y_range_follows_the_visible_bars(panel: ChartPanel) -> None:
    data = panel.data
    assert data is not None
    for first in (0, 1500, len(data) - 120):
        panel.set_visible_range(first, 120)
        f, last = panel.visible_range()
        lo, hi = panel.price.view.viewRange()[1]
        window_lo = min(
            float(data.low[f : last + 1].min()),
            *(np.nanmin(v[f : last + 1]) for v in panel.price.line_values().values()),
        )
        window_hi = float(data.high[f : last + 1].max())
        assert lo <= window_lo and hi >= window_hi  # every visible candle fits
        assert hi - lo < (window_hi - window_lo) * 1.5  # and fills the pane: no far-away bars count


def test_wheel_zooms_around_the_mouse(qtbot: QtBot, panel: ChartPanel) -> None:
    first, last = panel.visible_range()
    view = panel.price.view
    centre = view.mapViewToScene(QPointF((first + last) / 2, float(np.mean(view.viewRange()[1]))))
    at = panel.graphics.mapFromScene(centre)
    global_at = panel.graphics.viewport().mapToGlobal(at)
    event = QWheelEvent(
        QPointF(at),
        QPointF(global_at),
        QPoint(0, 0),
        QPoint(0, 120),
        Qt.MouseButton.NoButton,
        Qt.KeyboardModifier.NoModifier,
        Qt.ScrollPhase.NoScrollPhase,
        False,
    )
    QApplication.sendEvent(panel.graphics.viewport(), event)
    f2, l2 = panel.visible_range()
    assert l2 - f2 < last - first  # wheel up zooms in


def test_only_the_visible_chunks_are_painted(qtbot: QtBot, panel: ChartPanel) -> None:
    data = panel.data
    assert data is not None and len(data) > 10 * CHUNK
    panel.set_visible_range(1000, 120)
    panel.grab()  # paints synchronously
    glyph = panel.price.glyph
    assert glyph is not None
    # 120 bars in view touch at most two chunks beyond those they fill.
    assert glyph.painted_chunks and len(glyph.painted_chunks) <= 120 // CHUNK + 2
    assert 120 <= glyph.painted_bars <= 120 + 2 * CHUNK < len(data) / 4


def test_trade_and_signal_markers_land_on_their_bars(panel: ChartPanel) -> None:
    data = panel.data
    assert data is not None
    days = [str(d)[:10] for d in data.time[-30:-27]]
    markers = [
        ChartMarker(days[0], float(data.low[-30]), "buy", "B 1000"),
        ChartMarker(dt.datetime.fromisoformat(days[1] + " 10:15"), float(data.high[-29]), "sell", "S"),
        ChartMarker(np.datetime64(days[2]), float(data.close[-28]), "signal", "0.031"),
        ChartMarker("1990-01-01", 1.0, "buy"),  # before the chart: left out
    ]
    panel.set_markers(markers)
    n = len(data)
    assert panel.markers.placed == [
        (n - 30, float(data.low[-30]), "buy"),
        (n - 29, float(data.high[-29]), "sell"),
        (n - 28, float(data.close[-28]), "signal"),
    ]
    assert len(panel.markers.scatter.points()) == 3
    assert panel.markers.label_texts() == ["B 1000", "S", "0.031"]
    panel.set_markers([])
    assert panel.markers.placed == [] and len(panel.markers.scatter.points()) == 0
    # Three buys and a sell of one day: every fill keeps its arrow, the labels do not pile up.
    day, low, high = np.datetime64(days[0]), float(data.low[-30]), float(data.high[-30])
    panel.set_markers([ChartMarker(day, low, "buy", "B")] * 3 + [ChartMarker(day, high, "sell", "S")])
    assert len(panel.markers.scatter.points()) == 4
    assert panel.markers.label_texts() == ["B×3", "S"]


@pytest.mark.parametrize("height", [560, 380, 260])
def test_high_label_stays_clear_of_the_legend_in_short_panes(qtbot: QtBot, daily: ChartData, height: int) -> None:
    chart = ChartPanel()
    qtbot.addWidget(chart)
    chart.resize(900, height)
    chart.set_sub_panes(["VOL", "MACD", "KDJ", "RSI"])  # four panes leave the price pane short
    chart.show()
    qtbot.waitExposed(chart)
    chart.set_data(daily)
    for first in (0, len(daily) // 2, len(daily) - 120):
        chart.set_visible_range(first, 120)
        QApplication.processEvents()
        legend = chart.price.legend.sceneBoundingRect()
        label = chart.extras.high_label.sceneBoundingRect()
        view = chart.price.view.sceneBoundingRect()
        if view.height() < 160:  # too short for both: the labels give way to the legend
            assert chart.extras.high_label.textItem.toPlainText() == ""
            continue
        assert legend.bottom() <= label.top() + 1 and label.top() >= view.top(), (first, legend, label, view)
        assert chart.extras.low_label.sceneBoundingRect().bottom() <= view.bottom() + 1


def test_the_leftmost_time_label_carries_the_year(panel: ChartPanel, daily: ChartData) -> None:
    panel.set_visible_range(len(daily) - 40, 40)  # about two months: day labels
    axis = panel.price.time_axis if "price" in panel.shown_groups() else panel.panes[panel.shown_groups()[-1]].time_axis
    values = axis.tickValues(len(daily) - 40, len(daily) - 1, 800)[0][1]
    labels = axis.tickStrings(values, 1.0, 1.0)
    assert labels[0].startswith("2022-") and not labels[1].startswith("2022")


def test_a_narrow_toolbar_moves_indicator_toggles_to_its_menu_instead_of_cutting_them(qtbot) -> None:  # noqa: ANN001
    from widgets.chart.toolbar import ChartToolbarWidget

    toolbar = ChartToolbarWidget()
    qtbot.addWidget(toolbar)
    toolbar.resize(1400, 30)
    toolbar.show()
    qtbot.waitUntil(lambda: toolbar.overflowed() == [])
    toolbar.resize(700, 30)
    qtbot.waitUntil(lambda: bool(toolbar.overflowed()))
    moved = toolbar.overflowed()
    assert moved[-1] == list(toolbar.group_buttons)[-1]  # the rightmost toggles go first
    assert [k for k, b in toolbar.group_buttons.items() if not b.isHidden()] == [
        k for k in toolbar.group_buttons if k not in moved
    ]
    shown = [b for b in (*toolbar.period_buttons.values(), *toolbar.group_buttons.values()) if not b.isHidden()]
    qtbot.waitUntil(lambda: all(b.width() >= b.sizeHint().width() for b in shown))  # whole, never elided
    key = moved[-1]
    before = toolbar.group_buttons[key].isChecked()
    with qtbot.waitSignal(toolbar.sig_group_toggled) as toggled:
        toolbar.overflow_actions[key].trigger()  # from the ⋯ menu, as the hidden button would
    assert toggled.args == [key, not before]
    assert toolbar.overflow_actions[key].isChecked() is toolbar.group_buttons[key].isChecked() is (not before)
    toolbar.group_buttons["MA"].click()  # and a click on a shown button keeps its menu twin in step
    assert toolbar.overflow_actions["MA"].isChecked() is toolbar.group_buttons["MA"].isChecked()


def test_the_last_price_tag_is_whole_inside_the_price_pane(qtbot: QtBot, panel: ChartPanel, daily: ChartData) -> None:
    for width in (1100, 700):
        panel.resize(width, 700)
        panel.set_visible_range(len(daily) - 120, 120)
        QApplication.processEvents()
        tag = panel.extras.last_line.label
        assert tag.textItem.toPlainText() == f"{float(daily.close[-1]):.2f}"
        box, view = tag.sceneBoundingRect(), panel.price.view.sceneBoundingRect()
        assert view.left() <= box.left() and box.right() <= view.right() + 1, (width, box, view)
        assert abs(box.center().y() - panel.price.view.mapViewToScene(QPointF(0, daily.close[-1])).y()) < 2


def test_a_hidden_indicator_pane_is_built_once_when_first_shown_with_the_bars_on_screen(
    panel: ChartPanel, daily: ChartData
) -> None:
    assert list(panel.panes) == ["VOL", "MACD"]  # KDJ and RSI are off: not built
    assert [item.objectName() for item in panel.graphics.ci.items] == [
        "chart_pane_price",
        "chart_pane_VOL",
        "chart_pane_MACD",
    ]
    panel.set_sub_panes(["VOL", "KDJ"])
    kdj = panel.panes["KDJ"]
    assert set(kdj.line_values()) == set(daily.studies["KDJ"])
    for name, values in daily.studies["KDJ"].items():
        np.testing.assert_array_equal(kdj.line_values()[name], values)
    assert kdj.time_axis.tickValues(0, len(daily) - 1, 800) == panel.price.time_axis.tickValues(0, len(daily) - 1, 800)
    assert kdj.value_axis.style["showValues"] is True
    assert kdj.legend.text  # the newest bar's values, as on the panes built at start
    assert kdj.view.viewRange()[0] == panel.price.view.viewRange()[0]  # linked to the price pane's bars
    assert "RSI" not in panel.panes
    panel.set_cursor(len(daily) - 5, ("KDJ", 50.0))
    assert "\nJ " in panel.info_text()  # the info box lists the KDJ values
    kdj_lines = [item for item in kdj.plot.items if getattr(item, "angle", None) == 90]  # the crosshair's
    assert len(kdj_lines) == 1 and kdj_lines[0].isVisible() and kdj_lines[0].value() == len(daily) - 5
    panel.set_sub_panes(["VOL"])
    panel.set_sub_panes(["VOL", "KDJ"])
    assert panel.panes["KDJ"] is kdj  # built once: hiding and showing again reuses it
    assert list(panel.panes) == ["VOL", "MACD", "KDJ"]


def test_a_pane_built_before_any_bars_gets_them_when_they_arrive(qtbot: QtBot, daily: ChartData) -> None:
    widget = ChartPanel()
    qtbot.addWidget(widget)
    widget.set_red_up(False)
    widget.set_sub_panes(["RSI"])
    rsi = widget.panes["RSI"]
    assert rsi.line_values() == {} and rsi.value_axis.style["showValues"] is False  # no bars yet
    widget.set_data(daily)
    np.testing.assert_array_equal(rsi.line_values()["RSI6"], daily.studies["RSI"]["RSI6"])
    assert rsi.value_axis.style["showValues"] is True
    widget.set_sub_panes(["VOL", "RSI"])  # VOL, built at start and hidden since, still has every bar
    volume = widget.panes["VOL"].glyph
    assert volume is not None
    np.testing.assert_array_equal(volume.heights, daily.volume)
