"""The chart's 分时 view on a real store: session axis without lunch, previous close as 0%, average price, ticks."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PySide6.QtCore import QPoint, QPointF
from pytestqt.qtbot import QtBot

from app.chart_presenter import ChartPresenter
from app.chart_state import load_chart_state
from core.data.importer import import_files
from core.domain.ticks import Tick
from core.storage import MarketStore
from widgets.chart.timeshare_view import slot_time
from widgets.chart_panel import ChartPanel

SYMBOL = "000001.SZ"


@pytest.fixture(scope="module")
def store_path(cn_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    path = tmp_path_factory.mktemp("timeshare") / "market.sqlite"
    store = MarketStore.open(path)
    try:
        for _ in import_files(store, [cn_data / "daily" / "000001.SZ.csv", cn_data / "daily" / "600000.SH.csv"]):
            pass
        for _ in import_files(store, [cn_data / "minute" / "000001.SZ.csv"], freq="1m"):
            pass
    finally:
        store.close()
    yield path


def _open(qtbot: QtBot, store_path: Path, **kwargs: object) -> tuple[ChartPanel, ChartPresenter]:
    panel = ChartPanel()
    panel.resize(1000, 640)
    qtbot.addWidget(panel)
    panel.show()
    presenter = ChartPresenter(panel, store_path, None, {SYMBOL: "平安银行"}, **kwargs)  # type: ignore[arg-type]
    return panel, presenter


def _settle(qtbot: QtBot, presenter: ChartPresenter, until: object) -> None:
    qtbot.waitUntil(lambda: bool(until()) and not presenter.busy, timeout=20_000)  # type: ignore[operator]


def test_intraday_view_draws_the_session_about_the_previous_close(
    qtbot: QtBot, store_path: Path, cn_data: Path
) -> None:
    panel, presenter = _open(qtbot, store_path)
    presenter.open_symbol(SYMBOL)
    _settle(qtbot, presenter, lambda: panel.data is not None)
    presenter.set_period("ts")
    _settle(qtbot, presenter, lambda: panel.showing_timeshare and panel.timeshare.data is not None)
    view = panel.timeshare
    data = view.data
    assert data is not None and data.day == "2018-01-30" and data.name == "平安银行"
    assert panel.toolbar.period_buttons["ts"].isChecked()
    # 0% is the previous close (2018-01-29's 13.74): the zero line, the percent axis and a symmetric range.
    assert data.pre_close == view.zero_line.value() == view.percent_axis.base == 13.74
    lo, hi = view.price_range()
    assert (lo + hi) / 2 == pytest.approx(13.74) and lo <= float(np.nanmin(data.price)) <= hi
    assert view.percent_axis.tickStrings([13.74, 15.114], 1, 1) == ["+0.00%", "+10.00%"]
    assert (view.limit_up_line.value(), view.limit_down_line.value()) == (15.11, 12.37)
    # A fixed 240-minute axis: 11:30 and 13:01 are neighbours, nothing is drawn for the lunch break.
    (x0, x1), _ = view.price_plot.getViewBox().viewRange()
    assert (x0, x1) == (-0.5, 239.5) and (slot_time(119), slot_time(120)) == ("11:30", "13:01")
    x, y = view.price_line.getData()
    assert np.array_equal(x, np.arange(240)) and np.isfinite(y).all()
    # The average line is the day's amount so far over its volume so far.
    with (cn_data / "minute" / "000001.SZ.csv").open(encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["datetime"].startswith("2018-01-30")]
    amount = np.cumsum([float(r["amount"]) for r in rows])
    volume = np.cumsum([float(r["volume"]) for r in rows])
    np.testing.assert_allclose(view.average_line.getData()[1], amount / volume, rtol=1e-12)
    assert "13.65" in view.legend_html() and "-0.66%" in view.legend_html()
    # Hovering a minute shows that minute: the first afternoon minute sits right after 11:30.
    scene = view.price_plot.getViewBox().mapViewToScene(QPointF(120, 13.7))
    at = view.graphics.mapFromScene(scene)
    qtbot.mouseMove(view.graphics.viewport(), QPoint(at.x(), at.y()))
    qtbot.waitUntil(lambda: "13:01" in view.legend_html(), timeout=2000)
    assert f"{data.price[120]:.2f}" in view.legend_html()

    # A snapshot of the same session updates its last minute; one of a day the store has closed does not.
    last = Tick(SYMBOL, dt.datetime(2018, 1, 30, 14, 59, 50), 13.70, 13.7, 13.84, 13.55, 13.74, 1.1e8, 1.5e9)
    presenter.apply_tick(last)
    after = view.data
    assert after is not None and after.price[239] == 13.70 and after.average[239] == pytest.approx(1.5e9 / 1.1e8)
    presenter.apply_tick(Tick(SYMBOL, dt.datetime(2018, 1, 31, 10), 14.0, 13.6, 14.0, 13.5, 13.65, 1e7, 1.4e8))
    assert view.data is after

    presenter.set_period("1d")  # back to the K-line chart
    _settle(qtbot, presenter, lambda: not panel.showing_timeshare)
    assert panel.data is not None and panel.data.period == "1d"


def test_intraday_view_is_kept_for_the_next_session_and_says_when_no_minutes_are_stored(
    qtbot: QtBot, store_path: Path, tmp_path: Path
) -> None:
    state_file = tmp_path / "chart_state.json"
    panel, presenter = _open(qtbot, store_path, state_file=state_file)
    presenter.open_symbol(SYMBOL)
    presenter.set_period("ts")
    _settle(qtbot, presenter, lambda: panel.timeshare.data is not None)
    state = load_chart_state(state_file)
    assert state is not None and state.period == "ts"

    again, reopened = _open(qtbot, store_path, period=state.period)
    reopened.open_symbol(state.symbol)
    _settle(qtbot, reopened, lambda: again.showing_timeshare and again.timeshare.data is not None)
    reopened.open_symbol("600000.SH")  # daily bars only
    _settle(qtbot, reopened, lambda: again.timeshare.data is not None and again.timeshare.data.symbol == "600000.SH")
    assert again.timeshare.message_label.isVisible()
    assert "600000.SH" in again.timeshare.message_label.text()
    x, _ = again.timeshare.price_line.getData()
    assert x is None or x.size == 0  # nothing of 000001.SZ's session stays drawn
    assert not again.toolbar.adjust_combo.isEnabled()  # no adjustment or indicators in the 分时 view


def test_the_intraday_view_is_built_only_once_it_is_first_shown(qtbot: QtBot, store_path: Path) -> None:
    panel, presenter = _open(qtbot, store_path)
    presenter.open_symbol(SYMBOL)
    presenter.set_period("5m")
    _settle(qtbot, presenter, lambda: panel.data is not None and panel.data.period == "5m")
    assert panel.stack.count() == 1  # K-lines only: no 分时 widget yet
    presenter.set_period("ts")
    _settle(qtbot, presenter, lambda: panel.showing_timeshare and panel.timeshare.data is not None)
    view = panel.timeshare
    assert panel.stack.count() == 2 and view.data is not None and view.data.symbol == SYMBOL
    presenter.set_period("1d")
    _settle(
        qtbot, presenter, lambda: panel.data is not None and panel.data.period == "1d" and not panel.showing_timeshare
    )
    presenter.set_period("ts")
    _settle(qtbot, presenter, lambda: panel.showing_timeshare)
    assert panel.timeshare is view and panel.stack.count() == 2  # built once
