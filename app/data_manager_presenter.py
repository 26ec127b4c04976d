"""DataManagerPanel presenter: lists the store, runs imports/exports/deletes as cancellable jobs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, Signal

from app.job_runner import JobFinished, JobRunner
from core.data.bridge_update import BridgeBars, SeriesUpdated, plan_updates, update_from_bridge
from core.data.csv_export import export_series_csv
from core.data.exchange_calendar import update_calendar_from_bridge
from core.data.importer import FileReport, ImportProgress, discover_files, import_files
from core.data.qlib_export import ExportSummary, export_qlib
from core.data.status import series_rows
from core.jobs import CancelToken, JobRegistry, Progress
from core.storage.market_store import MarketStore
from widgets.data_manager_panel import DataManagerPanel, SeriesView


def _tr(text: str) -> str:
    return QCoreApplication.translate("DataManager", text)


class DataManagerPresenter(QObject):
    """Jobs open their own store connection on the worker thread (SQLite: one connection per thread)."""

    sig_leave_demo_requested = Signal()

    def __init__(
        self,
        panel: DataManagerPanel,
        store: MarketStore,
        on_store_changed: Callable[[], None] | None = None,
        *,
        bridge_url: str = "",
        bridge_token: str | None = None,
        jobs: JobRegistry | None = None,
        bridge_ca_file: str = "",
        demo: bool = False,
    ) -> None:
        """With `demo` the session runs the demo: `store` is then the user's own store, which imports fill,
        and the panel offers to leave the demo for it (`sig_leave_demo_requested`)."""
        super().__init__(panel)
        self._panel = panel
        self._store = store
        self._on_store_changed = on_store_changed
        # The token defaults to the OS keyring entry of the URL (read on the worker, when the job starts).
        self._bridge_url, self._bridge_token = bridge_url, bridge_token
        self.runner = JobRunner(self, jobs)
        self._bridge_ca_file = bridge_ca_file or None
        self.runner.sig_reported.connect(self._on_runner_sig_reported)
        self.runner.sig_finished.connect(self._on_runner_sig_finished)
        self._reports: list[FileReport] = []
        self._notes: list[str] = []
        self._updates: list[SeriesUpdated] = []
        self._total = 0  # what the running job set out to do (files, series), as its progress said
        panel.sig_import_requested.connect(self._on_panel_sig_import_requested)
        panel.sig_delete_requested.connect(self._on_panel_sig_delete_requested)
        panel.sig_export_csv_requested.connect(self._on_panel_sig_export_csv_requested)
        panel.sig_export_qlib_requested.connect(self._on_panel_sig_export_qlib_requested)
        panel.sig_update_from_bridge_requested.connect(self._on_panel_sig_update_from_bridge_requested)
        panel.set_bridge_available(bool(bridge_url))
        panel.sig_cancel_requested.connect(self.runner.cancel)
        self._demo = demo
        panel.sig_leave_demo_requested.connect(self.sig_leave_demo_requested)
        self.refresh()

    def refresh(self) -> None:
        rows = series_rows(self._store)
        self._panel.set_series(
            [SeriesView(r.symbol, r.name, r.freq, r.rows, r.first, r.last, r.missing_days) for r in rows]
        )
        if self._demo:
            self._panel.show_demo_note(
                _tr(
                    "Demo mode: the demo data is read-only. This list is your own data folder ({path}), "
                    "and imports go there; the demo stays open until you leave it."
                ).format(path=self._store.path.parent),
                can_leave=bool(rows),
            )

    # -- intents ------------------------------------------------------------------------------
    def _on_panel_sig_import_requested(self, paths: list[str]) -> None:
        self._start(
            _tr("Import"),
            _with_store(
                self._store.path, lambda store, token: import_files(store, discover_files(paths), cancel=token)
            ),
        )

    def _on_panel_sig_delete_requested(self, series: list[tuple[str, str]]) -> None:
        self._start(_tr("Delete"), _with_store(self._store.path, lambda store, token: _delete(store, series, token)))

    def _on_panel_sig_export_csv_requested(self, series: list[tuple[str, str]], folder: str) -> None:
        self._start(
            _tr("Export CSV"),
            _with_store(self._store.path, lambda store, token: _export_csv(store, series, Path(folder), token)),
        )

    def _on_panel_sig_export_qlib_requested(self, folder: str) -> None:
        self._start(
            _tr("Export Qlib"),
            _with_store(self._store.path, lambda store, token: export_qlib(store, Path(folder), token)),
        )

    def _on_panel_sig_update_from_bridge_requested(self, series: list[tuple[str, str]]) -> None:
        if not self._bridge_url:
            self._panel.show_report(
                _tr("Update from bridge"), _tr("No bridge is configured: set its URL in Settings."), []
            )
            return
        url, token, ca_file = self._bridge_url, self._bridge_token, self._bridge_ca_file
        self._start(
            _tr("Update from bridge"),
            _with_store(
                self._store.path, lambda store, cancel: _bridge_update(store, series, url, token, cancel, ca_file)
            ),
        )

    def _start(self, name: str, job: Callable[[CancelToken], Iterator[Any]]) -> None:
        self._reports, self._notes, self._updates = [], [], []
        self._total = 0
        if self.runner.start(name, job):
            self._panel.show_busy(name)

    # -- job reports --------------------------------------------------------------------------
    def _on_runner_sig_reported(self, report: object) -> None:
        if isinstance(report, ImportProgress) and report.report is not None:
            self._reports.append(report.report)
        if isinstance(report, SeriesUpdated):
            self._updates.append(report)
        if isinstance(report, Progress):
            self._total = max(self._total, report.total)
            self._panel.show_busy(self.runner.name, report.done, report.total, report.message)
        elif isinstance(report, ExportSummary):
            self._notes.append(
                _tr("Exported to {dir} ({mode}): {n} instruments, {days} trading days").format(
                    dir=report.directory, mode=report.mode, n=report.instruments, days=report.calendar_days
                )
            )
        elif isinstance(report, str):
            self._notes.append(report)

    def _on_runner_sig_finished(self, finished: JobFinished) -> None:
        self._panel.show_busy(None)
        errors = [r.error for r in self._reports if r.error]
        lines = list(self._notes)
        if self._reports:
            ok = [r for r in self._reports if r.ok]
            lines.append(
                _tr("{ok} of {n} file(s) imported: {rows} rows, {new} new, {updated} updated").format(
                    ok=len(ok),
                    n=max(self._total, len(self._reports)),  # after a cancel: of all the files chosen
                    rows=f"{sum(r.rows for r in ok):,}",
                    new=f"{sum(r.inserted for r in ok):,}",
                    updated=f"{sum(r.updated for r in ok):,}",
                )
            )
        if self._updates:
            errors.extend(
                _tr("{symbol} {freq}: {error}").format(symbol=u.symbol, freq=u.freq, error=u.error)
                for u in self._updates
                if u.error
            )
            lines.append(
                _tr("Updated {n} series from the bridge: {rows} bars, {new} new").format(
                    n=len([u for u in self._updates if not u.error]),
                    rows=f"{sum(u.received for u in self._updates):,}",
                    new=f"{sum(u.inserted for u in self._updates):,}",
                )
            )
        if finished.cancelled:
            lines.append(_tr("Cancelled; everything finished before that is kept."))
        if finished.error:
            errors.append(finished.error)
        self.refresh()
        if self._on_store_changed is not None:
            self._on_store_changed()
        self._panel.show_report(finished.job, "\n".join(lines), errors)


def _with_store(
    path: Path, body: Callable[[MarketStore, CancelToken], Iterator[Any]]
) -> Callable[[CancelToken], Iterator[Any]]:
    def job(token: CancelToken) -> Iterator[Any]:
        store = MarketStore.open(path)  # opened on the worker thread that uses it
        try:
            yield from body(store, token)
        finally:
            store.close()

    return job


def _bridge_update(
    store: MarketStore,
    series: list[tuple[str, str]],
    url: str,
    token: str | None,
    cancel: CancelToken,
    ca_file: str | None = None,
) -> Iterator[Any]:
    plans = plan_updates(store, series, dt.date.today())
    with BridgeBars(url, token, ca_file=ca_file) as fetch:
        yield from update_from_bridge(store, fetch, plans, cancel)
        update_calendar_from_bridge(store, fetch)  # the sessions ahead: holidays known before they come


def _delete(store: MarketStore, series: list[tuple[str, str]], token: CancelToken) -> Iterator[Any]:
    rows = 0
    with store.transaction():  # all or nothing
        revision = store.next_revision()
        for symbol, freq in series:
            rows += store.delete_series(symbol, freq, revision)
    yield _tr("Deleted {n} series ({rows} rows)").format(n=len(series), rows=f"{rows:,}")


def _export_csv(store: MarketStore, series: list[tuple[str, str]], folder: Path, token: CancelToken) -> Iterator[Any]:
    for done, (symbol, freq) in enumerate(series, start=1):
        token.raise_if_cancelled()
        suffix = "" if freq == "1d" else f"_{freq}"
        export_series_csv(store, symbol, freq, folder / f"{symbol}{suffix}.csv")
        yield Progress(done, len(series), symbol)
    yield _tr("Exported {n} series to {dir}").format(n=len(series), dir=folder)
