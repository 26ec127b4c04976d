"""ChartPresenter: loads charts from the market store off the GUI thread, keeps the last bar live from ticks."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal

from app.chart_drawings import ChartDrawingsPresenter
from app.chart_state import ChartState, save_chart_state
from app.chart_view_data import chart_data, price_decimals
from app.job_runner import JobFinished, JobRunner
from app.keyboard_wizard_presenter import KeyboardWizardPresenter, store_entries
from app.relay import EventRelay
from core.domain.symbols import SymbolFormatError, parse_symbol
from core.domain.ticks import Tick
from core.jobs import CancelToken, JobRegistry
from core.market.chart_load import ChartLoaded, ChartRequest, load_chart
from core.market.live_chart import LiveChart, LiveUpdate
from core.market.series import Adjust, Period
from core.market.studies import StudyConfig
from core.quotes.hub import QuoteHub
from core.storage.market_store import MarketStore
from widgets.chart.toolbar import TIMESHARE
from widgets.chart.view_state import ChartBar, ChartMarker
from widgets.chart_panel import ChartPanel

if TYPE_CHECKING:
    from app.chart_timeshare import TimeSharePresenter

# Ticks for the charted symbol are applied at most this often: a repaint per tick buys nothing.
LIVE_INTERVAL_MS = 100


def _tr(text: str) -> str:
    return QCoreApplication.translate("ChartPresenter", text)


class ChartPresenter(QObject):
    """One chart dock. Every load is a job of its own; the latest request wins and older ones are cancelled.

    With `replay` (the demo feed replays past days) history is cut at the day being replayed, so the
    chart grows a bar per replayed day instead of sitting on bars the replay has not reached yet.
    """

    sig_loaded = Signal(object)  # ChartRequest of each load that reached the panel (tests, benchmarks)

    def __init__(
        self,
        panel: ChartPanel,
        store_path: Path,
        hub: QuoteHub | None = None,
        names: Mapping[str, str] | None = None,
        *,
        replay: bool = False,
        period: str = "1d",
        adjust: str = "forward",
        subscribe: Callable[[Iterable[str]], None] | None = None,
        jobs: JobRegistry | None = None,
        state_file: Path | None = None,
        drawings_file: Path | None = None,
    ) -> None:
        super().__init__(panel)
        self._panel = panel
        self._jobs = jobs  # the session's job registry: chart loads are listed with the other jobs
        self._store_path = store_path
        self._hub = hub
        self._names = dict(names or {})
        self._replay = replay
        self._subscribe = subscribe  # live ticks for the charted symbol, also when it is on no watchlist
        self._state_file = state_file  # where the chart's view is kept for the next session (None: nowhere)
        self._symbol = ""
        # 分时 is a view, not a bar period: the K-line period stays what F5 switches back to.
        self._timeshare = period == TIMESHARE
        self._period = Period("1d" if self._timeshare else period)
        self._adjust = Adjust(adjust)
        self._config = StudyConfig()
        self._serial = 0
        self._runners: dict[int, JobRunner] = {}
        self._live: LiveChart | None = None
        self._pending: Tick | None = None
        self._markers: dict[str, list[ChartMarker]] = {}
        self.errors: list[str] = []
        self._live_timer = QTimer(self)
        self._live_timer.setSingleShot(True)
        self._live_timer.setInterval(LIVE_INTERVAL_MS)
        self._live_timer.timeout.connect(self._on_live_timer_timeout)
        # The 分时 view's presenter is built the first time 分时 is shown: most sessions never open it.
        self._timeshare_presenter: TimeSharePresenter | None = None
        # Per symbol, on every period; a file of real prices (an old one is read as drawn in `adjust`).
        self.drawings = ChartDrawingsPresenter(panel, drawings_file, self._adjust)
        panel.sig_symbol_requested.connect(self.open_symbol)
        panel.sig_period_requested.connect(self._on_panel_sig_period_requested)
        panel.sig_adjust_requested.connect(self._on_panel_sig_adjust_requested)
        panel.sig_ma_windows_requested.connect(self._on_panel_sig_ma_windows_requested)
        panel.sig_red_up_requested.connect(panel.set_red_up)
        panel.sig_groups_changed.connect(self._on_panel_sig_groups_changed)
        # 键盘精灵: letters or digits typed anywhere in the chart's window find an instrument to chart.
        self.keyboard_wizard = KeyboardWizardPresenter(
            panel, lambda: store_entries(store_path, self._names), self._open_from_wizard
        )
        if hub is not None:
            self.relay = EventRelay("chart-ticks", self)
            self.relay.subscribe(self._on_relay_ticks)
            remove = hub.add_listener(self.relay.core_handler())
            panel.destroyed.connect(lambda *_: remove())

    # -- requests -----------------------------------------------------------------------------
    @property
    def symbol(self) -> str:
        return self._symbol

    @property
    def timeshare(self) -> TimeSharePresenter:
        """The 分时 view's presenter, built on first use."""
        if self._timeshare_presenter is None:
            from app.chart_timeshare import TimeSharePresenter  # only once 分时 is shown

            presenter = TimeSharePresenter(
                self._panel, self._store_path, lambda s: self._names.get(s, ""), price_decimals, self._jobs
            )
            presenter.sig_loaded.connect(self._on_timeshare_sig_loaded)
            self._timeshare_presenter = presenter
        return self._timeshare_presenter

    @property
    def busy(self) -> bool:
        shown = self._timeshare_presenter
        return (shown is not None and shown.busy) or any(runner.busy for runner in self._runners.values())

    def open_symbol(self, text: str) -> bool:
        """Chart `text` (any spelling the importer accepts); False with a message when it is no symbol."""
        try:
            symbol = str(parse_symbol(text))
        except SymbolFormatError as exc:
            self._panel.show_message(_tr("Not a symbol: {reason}").format(reason=exc))
            return False
        self._symbol = symbol
        if self._subscribe is not None:
            self._subscribe([symbol])
        self.reload()
        self._save_state()
        return True

    def _open_from_wizard(self, symbol: str) -> None:
        if self.open_symbol(symbol):
            self._panel.reveal()

    def set_period(self, period: str) -> None:
        """A K-line period ('1d', '5m', ...) or TIMESHARE for the 分时 view."""
        self._timeshare = period == TIMESHARE
        if not self._timeshare:
            self._period = Period(period)
        self.reload()
        self._save_state()

    def set_adjust(self, adjust: str) -> None:
        self._adjust = Adjust(adjust)
        self.reload()
        self._save_state()

    def state(self) -> ChartState:
        """What the chart shows now, as the next session reopens it."""
        panel = self._panel
        return ChartState(
            self._symbol,
            TIMESHARE if self._timeshare else self._period.value,
            self._adjust.value,
            tuple(panel.overlays()),
            tuple(panel.sub_panes()),
        )

    def _save_state(self) -> None:
        if self._state_file is not None:
            save_chart_state(self._state_file, self.state())

    def _on_panel_sig_groups_changed(self, _groups: object) -> None:
        self._save_state()

    def set_markers(self, symbol: str, markers: Sequence[ChartMarker]) -> None:
        """Trade or signal markers for `symbol`; drawn now if it is charted, else when it is opened."""
        self._markers[symbol] = list(markers)
        if symbol == self._symbol:
            self._panel.set_markers(self._markers[symbol])

    def reload(self) -> None:
        """Load the current symbol/period/adjustment; cancels whatever load is still running."""
        if not self._symbol:
            return
        for runner in self._runners.values():
            runner.cancel()
        self._serial += 1
        serial = self._serial
        self._live, self._pending = None, None
        if self._timeshare:
            self.timeshare.load(self._symbol, self._replay_end())
            return
        if self._timeshare_presenter is not None:
            self._timeshare_presenter.stop()
        request = ChartRequest(self._symbol, self._period, self._adjust, self._config, self._replay_end())
        runner = JobRunner(self, self._jobs)
        self._runners[serial] = runner
        runner.sig_reported.connect(lambda report, s=serial: self._on_runner_sig_reported(s, report))
        runner.sig_finished.connect(lambda finished, s=serial: self._on_runner_sig_finished(s, finished))
        runner.start(f"chart {self._symbol}", lambda token: _job(self._store_path, request, token))

    def wait(self, timeout: float = 10.0) -> None:
        for runner in list(self._runners.values()):
            runner.wait(timeout)
        if self._timeshare_presenter is not None:
            self._timeshare_presenter.wait(timeout)

    def _replay_end(self) -> str | None:
        if not self._replay or self._hub is None:
            return None
        tick = self._hub.latest(self._symbol)
        return tick.time.date().isoformat() if tick is not None else None

    # -- job results --------------------------------------------------------------------------
    def _on_runner_sig_reported(self, serial: int, report: object) -> None:
        if serial != self._serial or not isinstance(report, ChartLoaded):
            return  # a superseded load: its result would overwrite the newer chart
        request = report.request
        previous = self._panel.data
        same_view = (
            previous is not None and previous.symbol == request.symbol and previous.period == request.period.value
        )
        # The store's dated name as of the newest bar (a chart of 2019 says what the stock was called then);
        # the session's current names cover a store that keeps none.
        name = report.name or self._names.get(request.symbol, "")
        self._panel.set_data(chart_data(report, name), keep_view=same_view)
        self._panel.set_markers(self._markers.get(request.symbol, []))
        self.drawings.show_for(request.symbol, report.factors, request.adjust if report.adjusted else Adjust.NONE)
        self._live = LiveChart(report)
        self.sig_loaded.emit(request)
        if self._hub is not None:
            tick = self._hub.latest(request.symbol)
            if tick is not None:
                self._pending = tick
                self._live_timer.start()

    def _on_runner_sig_finished(self, serial: int, finished: JobFinished) -> None:
        runner = self._runners.pop(serial, None)
        if runner is not None:
            runner.deleteLater()
        if finished.error and serial == self._serial:
            self.errors.append(finished.error)
            self._panel.show_message(
                _tr("Could not load {symbol}: {error}").format(symbol=self._symbol, error=finished.error)
            )

    # -- live ---------------------------------------------------------------------------------
    def _on_relay_ticks(self, ticks: Sequence[Tick]) -> None:
        for tick in ticks:
            if tick.symbol == self._symbol:
                self._pending = tick
        if self._pending is not None and not self._live_timer.isActive():
            self._live_timer.start()

    def _on_live_timer_timeout(self) -> None:
        tick, self._pending = self._pending, None
        if tick is not None:
            self.apply_tick(tick)

    def _on_timeshare_sig_loaded(self, symbol: str) -> None:
        tick = self._hub.latest(symbol) if self._hub is not None else None
        if tick is not None:
            self._pending = tick
            self._live_timer.start()

    def apply_tick(self, tick: Tick) -> LiveUpdate | None:
        """Put `tick` on the chart's last bar now (the timer calls this for the newest pending tick)."""
        if self._timeshare:
            self.timeshare.apply_tick(tick)
            return None
        live = self._live
        if live is None or tick.symbol != self._symbol:
            return None
        update = live.on_tick(tick)
        if update is None:
            data = self._panel.data
            if (
                self._replay
                and data is not None
                and len(data)
                and np.datetime64(tick.time.date(), "D") < data.time[-1].astype("datetime64[D]")
            ):
                self.reload()  # the replay started over from its first day
            return None
        b = update.bar
        self._panel.update_last_bar(
            ChartBar(
                b.time[0],
                float(b.open[0]),
                float(b.high[0]),
                float(b.low[0]),
                float(b.close[0]),
                float(b.volume[0]),
                float(b.amount[0]),
            ),
            update.studies,
            update.appended,
        )
        return update

    # -- panel intents ------------------------------------------------------------------------
    def _on_panel_sig_period_requested(self, period: str) -> None:
        self.set_period(period)

    def _on_panel_sig_adjust_requested(self, adjust: str) -> None:
        self.set_adjust(adjust)

    def _on_panel_sig_ma_windows_requested(self, windows: tuple[int, ...]) -> None:
        self._config = StudyConfig(ma_windows=tuple(windows))
        self.reload()


def _job(store_path: Path, request: ChartRequest, token: CancelToken) -> Iterator[Any]:
    store = MarketStore.open(store_path)  # opened on the worker thread that uses it
    try:
        yield from load_chart(store, request, token)
    finally:
        store.close()
