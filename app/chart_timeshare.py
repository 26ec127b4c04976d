"""The chart's 分时 view: loads one session's minutes off the GUI thread and extends them from live ticks."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from app.job_runner import JobFinished, JobRunner
from core.domain.ticks import Tick
from core.jobs import CancelToken, JobRegistry
from core.market.timeshare import LiveTimeShare, TimeShare, TimeShareLoaded, load_timeshare
from core.storage.market_store import MarketStore
from widgets.chart.timeshare_view import TimeShareData
from widgets.chart_panel import ChartPanel


def _tr(text: str) -> str:
    return QCoreApplication.translate("ChartPresenter", text)


class TimeSharePresenter(QObject):
    """Owned by the chart presenter while the 分时 view is shown; the latest load wins, as for K-lines."""

    sig_loaded = Signal(str)  # the symbol whose 分时 reached the panel (tests)

    def __init__(
        self,
        panel: ChartPanel,
        store_path: Path,
        name_of: Callable[[str], str],
        decimals_of: Callable[[str], int],
        jobs: JobRegistry | None = None,
    ) -> None:
        super().__init__(panel)
        self._panel = panel
        self._store_path = store_path
        self._name_of = name_of
        self._decimals_of = decimals_of
        self._jobs = jobs
        self._serial = 0
        self._runners: dict[int, JobRunner] = {}
        self._live: LiveTimeShare | None = None
        self.errors: list[str] = []

    @property
    def busy(self) -> bool:
        return any(runner.busy for runner in self._runners.values())

    def load(self, symbol: str, end: str | None) -> None:
        """Load `symbol`'s newest stored session (on or before `end`); cancels a load still running."""
        self.stop()
        self._serial += 1
        serial = self._serial
        runner = JobRunner(self, self._jobs)
        self._runners[serial] = runner
        runner.sig_reported.connect(lambda report, s=serial: self._on_runner_sig_reported(s, report))
        runner.sig_finished.connect(lambda finished, s=serial: self._on_runner_sig_finished(s, finished))
        runner.start(f"intraday {symbol}", lambda token: _job(self._store_path, symbol, end, token))

    def stop(self) -> None:
        """Drop any load in flight and stop following ticks (the K-line view is back)."""
        for runner in self._runners.values():
            runner.cancel()
        self._serial += 1
        self._live = None

    def wait(self, timeout: float = 10.0) -> None:
        for runner in list(self._runners.values()):
            runner.wait(timeout)

    def apply_tick(self, tick: Tick) -> bool:
        """Extend the view with `tick`; False when it changes nothing drawn."""
        if self._live is None:
            return False
        share = self._live.on_tick(tick)
        if share is None:
            return False
        self._panel.show_timeshare(self.view_data(share))
        return True

    def view_data(self, share: TimeShare) -> TimeShareData:
        return TimeShareData(
            symbol=share.symbol,
            day=str(share.day) if share.day is not None else "",
            pre_close=share.pre_close,
            price=share.price,
            average=share.average,
            volume=share.volume,
            limit_up=share.limit_up,
            limit_down=share.limit_down,
            name=self._name_of(share.symbol),
            price_decimals=self._decimals_of(share.symbol),
        )

    def _on_runner_sig_reported(self, serial: int, report: object) -> None:
        if serial != self._serial or not isinstance(report, TimeShareLoaded):
            return
        self._live = report.live()
        self._panel.show_timeshare(self.view_data(report.share))
        self.sig_loaded.emit(report.share.symbol)

    def _on_runner_sig_finished(self, serial: int, finished: JobFinished) -> None:
        runner = self._runners.pop(serial, None)
        if runner is not None:
            runner.deleteLater()
        if finished.error and serial == self._serial:
            self.errors.append(finished.error)
            self._panel.timeshare.show_message(
                _tr("Could not load the intraday chart: {error}").format(error=finished.error)
            )


def _job(store_path: Path, symbol: str, end: str | None, token: CancelToken) -> Iterator[Any]:
    store = MarketStore.open(store_path)  # opened on the worker thread that uses it
    try:
        yield from load_timeshare(store, symbol, end, token)
    finally:
        store.close()
