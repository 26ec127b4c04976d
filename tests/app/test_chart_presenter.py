"""Chart presenter on a real store: loads off the GUI thread, latest request wins, periods, live last bar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from pytestqt.qtbot import QtBot

from app.chart_presenter import ChartPresenter
from core.data.importer import import_files
from core.domain.ticks import Tick
from core.market.series import Period
from core.quotes.hub import QuoteHub
from core.quotes.session import BEIJING
from core.storage import MarketStore
from widgets.chart_panel import ChartPanel

SYMBOL = "000001.SZ"


@pytest.fixture(scope="module")
def store_path(cn_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """000001.SZ daily 2007-2022 and its 1m bars of January 2018, 600000.SH daily, imported as a user would."""
    path = tmp_path_factory.mktemp("chart") / "market.sqlite"
    store = MarketStore.open(path)
    try:
        files = [cn_data / "daily" / "000001.SZ.csv", cn_data / "daily" / "600000.SH.csv"]
        for _ in import_files(store, files, freq="1d"):
            pass
        for _ in import_files(store, [cn_data / "minute" / "000001.SZ.csv"], freq="1m"):
            pass
    finally:
        store.close()
    yield path


def make(
    qtbot: QtBot, store_path: Path, hub: QuoteHub | None = None, **kwargs: object
) -> tuple[ChartPanel, ChartPresenter, list[object]]:
    panel = ChartPanel()
    panel.resize(1000, 640)
    qtbot.addWidget(panel)
    presenter = ChartPresenter(panel, store_path, hub, {"000001.SZ": "平安银行"}, **kwargs)  # type: ignore[arg-type]
    loaded: list[object] = []
    presenter.sig_loaded.connect(loaded.append)
    return panel, presenter, loaded


def settle(qtbot: QtBot, presenter: ChartPresenter, loaded: list[object], n: int = 1) -> None:
    qtbot.waitUntil(lambda: len(loaded) >= n and not presenter.busy, timeout=20_000)


def test_opening_a_symbol_loads_its_daily_chart_off_the_gui_thread(qtbot: QtBot, store_path: Path) -> None:
    panel, presenter, loaded = make(qtbot, store_path)
    assert presenter.open_symbol("000001")  # bare codes are accepted, as on the quote board
    assert panel.data is None  # nothing yet: the load runs on a worker thread
    settle(qtbot, presenter, loaded)
    data = panel.data
    assert data is not None and data.symbol == SYMBOL and data.period == "1d" and data.name == "平安银行"
    assert str(data.time[-1])[:10] == "2022-12-30" and len(data) > 3500
    assert not panel.message_label.isVisible()


def test_latest_request_wins(qtbot: QtBot, store_path: Path) -> None:
    panel, presenter, loaded = make(qtbot, store_path)
    presenter.open_symbol("600000.SH")
    presenter.set_period("1w")
    presenter.open_symbol(SYMBOL)
    presenter.set_period("5m")  # four requests in one turn of the event loop: only the last may land
    settle(qtbot, presenter, loaded)
    qtbot.wait(200)  # superseded jobs finish too; none of them may reach the panel
    assert [(r.symbol, r.period) for r in loaded] == [(SYMBOL, Period.M5)]  # type: ignore[attr-defined]
    assert panel.data is not None and panel.data.symbol == SYMBOL and panel.data.period == "5m"


def test_five_minute_and_daily_periods_aggregate_the_stored_minutes(
    qtbot: QtBot, store_path: Path, cn_data: Path
) -> None:
    panel, presenter, loaded = make(qtbot, store_path, adjust="none")
    presenter.open_symbol(SYMBOL)
    settle(qtbot, presenter, loaded)
    presenter.set_period("5m")
    settle(qtbot, presenter, loaded, 2)
    five = panel.data
    assert five is not None and len(five) == 21 * 48  # 21 trading days of 48 five-minute bars
    days = five.time.astype("datetime64[D]")
    presenter.set_period("1d")
    settle(qtbot, presenter, loaded, 3)
    panel_daily = panel.data
    assert panel_daily is not None
    for day in np.unique(days)[:5]:
        rows = days == day
        at = int(np.searchsorted(panel_daily.time, day.astype("datetime64[s]")))
        daily = panel_daily.close[at]
        # The 15:00 bar closes at the day's close; the stored day's range holds every 5m bar.
        assert five.close[rows][-1] == daily
        assert five.high[rows].max() <= panel_daily.high[at] and five.low[rows].min() >= panel_daily.low[at]
        # Vendor minutes leave out the 09:25 call auction: under 1% of the day's volume.
        assert 0 < 1 - five.volume[rows].sum() / panel_daily.volume[at] < 0.01
    # The first 5m bar of the month is labelled by its end, 09:35.
    assert str(five.time[0]) == "2018-01-02T09:35:00"


def test_forward_adjustment_keeps_the_latest_price(qtbot: QtBot, store_path: Path, cn_data: Path) -> None:
    panel, presenter, loaded = make(qtbot, store_path, adjust="none")
    presenter.open_symbol("600000.SH")
    settle(qtbot, presenter, loaded)
    raw = panel.data
    presenter.set_adjust("forward")
    settle(qtbot, presenter, loaded, 2)
    forward = panel.data
    presenter.set_adjust("backward")
    settle(qtbot, presenter, loaded, 3)
    backward = panel.data
    assert raw is not None and forward is not None and backward is not None
    assert forward.close[-1] == pytest.approx(raw.close[-1])
    assert forward.close[0] < raw.close[0]  # dividends since 2007 lower the forward-adjusted past
    assert backward.close[0] == pytest.approx(raw.close[0] * 1.6035437)  # raw × factor (the CSV's first row)


def _tick(day: dt.date, last: float, high: float, low: float, volume: float, open_: float = 0.0) -> Tick:
    return Tick(
        SYMBOL,
        dt.datetime.combine(day, dt.time(10, 0), BEIJING),
        last,
        open_ or last,
        high,
        low,
        last,
        volume,
        volume * last,
    )


def test_live_ticks_update_and_append_the_last_bar(qtbot: QtBot, store_path: Path) -> None:
    hub = QuoteHub()
    panel, presenter, loaded = make(qtbot, store_path, hub, adjust="none")
    presenter.open_symbol(SYMBOL)
    settle(qtbot, presenter, loaded)
    assert panel.data is not None
    n = len(panel.data)
    next_day = dt.date(2023, 1, 3)
    hub.publish([_tick(next_day, 13.0, 13.2, 12.9, 1_000_000, open_=13.1)])
    qtbot.waitUntil(lambda: panel.data is not None and len(panel.data) == n + 1, timeout=5000)
    data = panel.data
    assert str(data.time[-1])[:10] == "2023-01-03"
    assert (data.open[-1], data.high[-1], data.low[-1], data.close[-1], data.volume[-1]) == (
        13.1,
        13.2,
        12.9,
        13.0,
        1_000_000,
    )
    ma5 = data.studies["MA"]["MA5"]
    assert ma5[-1] == pytest.approx(float(np.mean(data.close[-5:])))

    # A later tick of the same day changes that bar in place.
    hub.publish([_tick(next_day, 13.5, 13.6, 12.9, 1_500_000, open_=13.1)])
    qtbot.waitUntil(lambda: panel.data is not None and panel.data.close[-1] == 13.5, timeout=5000)
    assert len(panel.data) == n + 1 and panel.data.high[-1] == 13.6 and panel.data.volume[-1] == 1_500_000
    # Ticks of other symbols and late ticks for finished days leave the chart alone.
    hub.publish([_tick(dt.date(2022, 6, 1), 1.0, 1.0, 1.0, 1.0)])
    qtbot.wait(250)
    assert panel.data.close[-1] == 13.5 and len(panel.data) == n + 1


def test_replay_cuts_history_at_the_replayed_day_and_grows_with_it(qtbot: QtBot, store_path: Path) -> None:
    hub = QuoteHub()
    hub.publish([_tick(dt.date(2020, 6, 1), 14.0, 14.1, 13.9, 1.0)])
    panel, presenter, loaded = make(qtbot, store_path, hub, replay=True, adjust="none")
    presenter.open_symbol(SYMBOL)
    settle(qtbot, presenter, loaded)
    assert panel.data is not None and str(panel.data.time[-1])[:10] == "2020-06-01"
    n = len(panel.data)
    hub.publish([_tick(dt.date(2020, 6, 2), 14.2, 14.3, 13.8, 2.0)])
    qtbot.waitUntil(lambda: len(panel.data) == n + 1, timeout=5000)  # type: ignore[arg-type]


def test_bad_symbol_text_is_refused_with_a_message(qtbot: QtBot, store_path: Path) -> None:
    panel, presenter, _ = make(qtbot, store_path)
    assert not presenter.open_symbol("hello")
    assert panel.message_label.isVisibleTo(panel) and "hello" in panel.message_label.text()


def test_markers_given_before_opening_are_drawn_on_the_loaded_chart(qtbot: QtBot, store_path: Path) -> None:
    from widgets.chart.view_state import ChartMarker

    panel, presenter, loaded = make(qtbot, store_path, adjust="none")
    presenter.set_markers(
        SYMBOL, [ChartMarker("2022-12-29", 12.5, "buy", "B"), ChartMarker("2022-12-30", 13.0, "signal", "0.02")]
    )
    presenter.open_symbol(SYMBOL)
    settle(qtbot, presenter, loaded)
    assert panel.data is not None
    n = len(panel.data)
    assert panel.markers.placed == [(n - 2, 12.5, "buy"), (n - 1, 13.0, "signal")]
    presenter.open_symbol("600000.SH")
    settle(qtbot, presenter, loaded, 2)
    assert panel.markers.placed == []  # markers belong to their symbol


def test_double_clicking_a_quote_board_row_opens_its_chart(qtbot: QtBot, store_path: Path, tmp_path: Path) -> None:
    from PySide6.QtCore import Qt

    from app.composition import _open_chart
    from app.quote_board_presenter import QuoteBoardPresenter
    from core.quotes.watchlists import WatchlistStore
    from widgets.quote_board_panel import QuoteBoardPanel

    hub = QuoteHub()
    chart, presenter, loaded = make(qtbot, store_path, hub)
    board = QuoteBoardPanel()
    qtbot.addWidget(board)
    board.resize(500, 400)
    board.show()
    watchlists = WatchlistStore.load(tmp_path / "w.json", ["600000.SH", SYMBOL])
    board_presenter = QuoteBoardPresenter(board, hub, watchlists, {})
    board_presenter.set_open_chart(lambda symbol: _open_chart(chart, presenter, symbol))
    qtbot.waitExposed(board)
    row = board.model.symbols().index(SYMBOL)
    rect = board.table.visualRect(board.model.index(row, 0))
    # A real double-click is press, release, double-click: the view only reacts to the row it saw pressed.
    qtbot.mouseClick(board.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    qtbot.mouseDClick(board.table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    settle(qtbot, presenter, loaded)
    assert chart.data is not None and chart.data.symbol == SYMBOL
    # The context menu offers the same.
    menu = board.build_context_menu("600000.SH")
    next(a for a in menu.actions() if a.text() == "Open chart").trigger()
    settle(qtbot, presenter, loaded, 2)
    assert chart.data is not None and chart.data.symbol == "600000.SH"


def test_without_stored_factors_the_chart_says_it_is_unadjusted(qtbot: QtBot, cn_data: Path, tmp_path: Path) -> None:
    from tests.realdata import read_lines, write_lines

    lines = read_lines(cn_data / "daily" / "600000.SH.csv")
    raw = write_lines(tmp_path / "600000.SH.csv", [",".join(r.split(",")[:7]) for r in lines])  # no factor column
    store = MarketStore.open(tmp_path / "raw.sqlite")
    for _ in import_files(store, [raw], freq="1d", workers=1):
        pass
    store.close()
    panel, presenter, loaded = make(qtbot, tmp_path / "raw.sqlite")  # asks for forward adjustment
    presenter.open_symbol("600000.SH")
    settle(qtbot, presenter, loaded)
    assert panel.data is not None and panel.data.adjust == "none"
    assert panel.toolbar.adjust_combo.currentData() == "none"
    assert "factor" in panel.note_label.text() and panel.note_label.isVisibleTo(panel)  # says why


@pytest.mark.parametrize("period", ["1m", "5m", "60m"])
def test_minute_charts_never_end_with_the_stores_last_daily_bar(qtbot: QtBot, store_path: Path, period: str) -> None:
    from core.quotes.demo_feed import build_replay

    hub = QuoteHub()
    store = MarketStore.open(store_path)
    try:
        (last_day,) = build_replay(store, [SYMBOL], days=1)  # what the board shows with no live source
    finally:
        store.close()
    hub.publish(last_day.ticks)  # 2022-12-30's close, volume 81.80M
    panel, presenter, loaded = make(qtbot, store_path, hub, period=period)
    presenter.open_symbol(SYMBOL)
    settle(qtbot, presenter, loaded)
    hub.publish(last_day.ticks)  # and again, as a feed would repeat it
    qtbot.wait(250)
    assert presenter.apply_tick(last_day.ticks[0]) is None
    data = panel.data
    assert data is not None and str(data.time[-1])[:7] == "2018-01"  # the stored minutes' month, nothing after


def test_adjusted_charts_show_the_volume_actually_traded(qtbot: QtBot, store_path: Path, cn_data: Path) -> None:
    panel, presenter, loaded = make(qtbot, store_path, adjust="none")
    presenter.open_symbol("600000.SH")
    settle(qtbot, presenter, loaded)
    raw = panel.data
    for n, mode in enumerate(("forward", "backward"), start=2):
        presenter.set_adjust(mode)
        settle(qtbot, presenter, loaded, n)
        adjusted = panel.data
        assert raw is not None and adjusted is not None and adjusted.adjust == mode
        np.testing.assert_array_equal(adjusted.volume, raw.volume)
        assert adjusted.close[0] != pytest.approx(raw.close[0])  # prices did change


def test_a_period_without_bars_clears_the_previous_chart(qtbot: QtBot, store_path: Path) -> None:
    panel, presenter, loaded = make(qtbot, store_path)
    presenter.open_symbol("600000.SH")  # daily bars only: no minutes stored
    settle(qtbot, presenter, loaded)
    assert panel.extras.last_line.isVisible() and panel.price.legend.text
    presenter.set_period("5m")
    settle(qtbot, presenter, loaded, 2)
    assert panel.data is not None and len(panel.data) == 0
    assert "No bars" in panel.message_label.text()
    assert not panel.extras.last_line.isVisible() and panel.extras.high_label.textItem.toPlainText() == ""
    assert [pane.legend.text.strip() for pane in panel.column.all()] == [""] * len(panel.column.all())
    assert panel.price.value_axis.style["showValues"] is False


def test_monthly_period_and_a_live_tick_update_the_months_bar(qtbot: QtBot, store_path: Path) -> None:
    hub = QuoteHub()
    panel, presenter, loaded = make(qtbot, store_path, hub, period="1mo", adjust="none")
    presenter.open_symbol(SYMBOL)
    settle(qtbot, presenter, loaded)
    data = panel.data
    assert data is not None and data.period == "1mo" and not data.intraday
    assert str(data.time[-1])[:10] == "2022-12-30" and str(data.time[-2])[:10] == "2022-11-30"
    assert panel.toolbar.period_buttons["1mo"].isChecked()
    n, december_high = len(data), float(data.high[-1])
    # A January tick opens a new month bar; a second one in the same month changes it in place.
    hub.publish([_tick(dt.date(2023, 1, 3), 13.0, 13.2, 12.9, 1_000_000, open_=13.1)])
    qtbot.waitUntil(lambda: panel.data is not None and len(panel.data) == n + 1, timeout=5000)
    hub.publish([_tick(dt.date(2023, 1, 4), 13.4, 13.6, 12.8, 900_000, open_=13.3)])
    qtbot.waitUntil(lambda: panel.data is not None and panel.data.close[-1] == 13.4, timeout=5000)
    data = panel.data
    assert len(data) == n + 1 and data.open[-1] == 13.1 and data.high[-1] == 13.6 and data.low[-1] == 12.8
    assert data.volume[-1] == 1_900_000 and data.high[-2] == december_high


def test_the_title_names_the_stock_as_it_was_called_on_the_charted_day(
    qtbot: QtBot, cn_data: Path, tmp_path: Path
) -> None:
    from core.storage.instrument_names import record_names

    path = tmp_path / "market.sqlite"
    store = MarketStore.open(path)
    try:
        for _ in import_files(store, [cn_data / "daily" / "000001.SZ.csv"], freq="1d"):
            pass
        with store.transaction():  # 深发展A became 平安银行 on 2012-08-02
            record_names(store, [(SYMBOL, "深发展A", ""), (SYMBOL, "平安银行", "2012-08-02")], dt.date(2022, 1, 4))
    finally:
        store.close()
    hub = QuoteHub()
    hub.publish([_tick(dt.date(2010, 6, 1), 9.0, 9.1, 8.9, 1.0)])
    # The session knows today's name only; the chart of 2010 must not borrow it.
    panel, presenter, loaded = make(qtbot, path, hub, replay=True)
    presenter.open_symbol(SYMBOL)
    settle(qtbot, presenter, loaded)
    assert panel.data is not None and str(panel.data.time[-1])[:10] == "2010-06-01"
    assert panel.data.name == "深发展A" and "深发展A" in panel.price.legend.text
    hub.publish([_tick(dt.date(2012, 8, 2), 9.2, 9.3, 9.1, 1.0)])
    presenter.reload()  # the replay reached the day of the rename
    settle(qtbot, presenter, loaded, 2)
    assert panel.data.name == "平安银行" and "平安银行" in panel.price.legend.text
    later, later_presenter, later_loaded = make(qtbot, path)  # no replay: the newest bar is of 2022
    later_presenter.open_symbol(SYMBOL)
    settle(qtbot, later_presenter, later_loaded)
    assert later.data is not None and later.data.name == "平安银行"
