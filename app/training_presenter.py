"""TrainingPresenter: the training panel's form becomes queued training jobs; curves, ETA, results, registry."""

from __future__ import annotations

import sys
import time
from collections import deque
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject, Qt
from PySide6.QtWidgets import QApplication

from app.ensemble_presenter import EnsemblePresenter
from app.job_runner import JobFinished, JobRunner
from core.datasets.config import DatasetConfig, Segments, parse_universe
from core.events import RunDeleted, RunRegistered
from core.models import MODEL_NAMES, TREE_MODELS
from core.research.config import StartTraining, parse_params
from core.research.registry import RunRegistry
from core.research.rolling import RollingStep
from widgets.training_form import TrainingForm
from widgets.training_panel import RunRow, TrainingPanel

if TYPE_CHECKING:
    from app.events import GuiEvents
    from core.jobs import JobRegistry


def _tr(text: str) -> str:
    return QCoreApplication.translate("TrainingPresenter", text)


# Form defaults per model: epochs, learning rate, size (hidden units or leaves), batch size.
_DEFAULTS = {
    "lightgbm": (1000, 0.2, 210, 800),
    "double_ensemble": (136, 0.2, 210, 800),  # rounds per sub-model
    "linear": (50, 1e-3, 1, 2000),
    "mlp": (100, 2e-4, 256, 2000),
}
_SEQUENCE_DEFAULT = (200, 2e-4, 64, 800)


def default_form(model: str, base: TrainingForm | None = None) -> TrainingForm:
    epochs, lr, size, batch = _DEFAULTS.get(model, _SEQUENCE_DEFAULT)
    dataset = base.dataset if base else ("alpha158" if model in _DEFAULTS else "alpha360")
    return TrainingForm(
        model,
        dataset,
        base.universe if base else "csi300",
        base.segments if base else "2008-01-01:2014-12-31,2015-01-01:2016-12-31,2017-01-01:2020-12-31",
        base.device if base else "auto",
        epochs,
        lr,
        size,
        batch,
        base.seed if base else 0,
    )


def request_from_form(form: TrainingForm) -> StartTraining:
    """The training command for the form; ValueError names the field that is wrong."""
    try:
        segments = Segments.parse(form.segments)
    except ValueError as exc:
        raise ValueError(_tr("Segments: {error}").format(error=exc)) from None
    try:
        universe = parse_universe(form.universe)
    except ValueError as exc:
        raise ValueError(_tr("Universe: {error}").format(error=exc)) from None
    if form.model in TREE_MODELS:
        params: dict[str, Any] = {
            "num_boost_round": form.epochs,
            "learning_rate": form.learning_rate,
            "num_leaves": form.size,
        }
    else:
        params = {"epochs": form.epochs, "lr": form.learning_rate, "batch_size": form.batch_size}
        if form.model == "transformer":
            params["d_model"] = form.size
        elif form.model != "linear":
            params["hidden_size"] = form.size
    try:
        params.update(parse_params([p for p in form.extra.replace(";", ",").split(",") if p.strip()]))
    except ValueError as exc:
        raise ValueError(_tr("Parameters: {error}").format(error=exc)) from None
    return StartTraining(
        form.model, DatasetConfig(form.dataset, universe, segments), params, device=form.device, seed=form.seed
    )


def rolling_from_form(form: TrainingForm) -> RollingStep | None:
    """The walk-forward step the form asks for, or None; ValueError names the field."""
    if form.rolling is None:
        return None
    try:
        return RollingStep.parse(form.rolling)
    except ValueError as exc:
        raise ValueError(_tr("Walk-forward: {error}").format(error=exc)) from None


def _eta(seconds: float) -> str:
    minutes, secs = divmod(int(seconds + 0.5), 60)
    return f"{minutes // 60}:{minutes % 60:02d}:{secs:02d}" if minutes >= 60 else f"{minutes}:{secs:02d}"


class TrainingPresenter(QObject):
    """One job runs at a time; further Train clicks queue behind it. The GUI thread only renders.

    The runs table follows the registry's facts (`events`): a run registered or deleted anywhere
    in the session shows here without a refresh.
    """

    def __init__(
        self,
        panel: TrainingPanel,
        data_dir: Path,
        store_file: Path | None = None,
        *,
        registry: RunRegistry | None = None,
        jobs: JobRegistry | None = None,
        events: GuiEvents | None = None,
    ) -> None:
        super().__init__(panel)
        self._panel, self._data_dir, self._store_file = panel, Path(data_dir), store_file
        self.registry = registry or RunRegistry(self._data_dir)
        self.runner = JobRunner(self, jobs)
        self.runner.sig_reported.connect(self._on_runner_sig_reported)
        self.runner.sig_finished.connect(self._on_runner_sig_finished)
        self._queue: deque[tuple[str, StartTraining, RollingStep | None, str]] = deque()
        self._current = ""
        self._window = ""  # walk-forward: the window being trained ('window 2/5 from ...')
        self._stage = ("", 0.0)
        self.last_run_id: str | None = None
        panel.set_models(MODEL_NAMES)
        panel.sig_model_changed.connect(self._on_panel_sig_model_changed)
        panel.set_form(default_form("lightgbm"))
        panel.sig_train_requested.connect(self._on_panel_sig_train_requested)
        panel.sig_cancel_requested.connect(self.runner.cancel)
        panel.sig_compare_requested.connect(self._on_panel_sig_compare_requested)
        panel.sig_delete_requested.connect(self._on_panel_sig_delete_requested)
        panel.sig_export_requested.connect(self._on_panel_sig_export_requested)
        self.ensembles = EnsemblePresenter(panel, self.registry, self.refresh_runs, jobs)
        if events is not None:
            events.on(RunRegistered, self._on_events_run_changed)
            events.on(RunDeleted, self._on_events_run_changed)
        self.refresh_runs()

    @property
    def queued(self) -> list[str]:
        return [title for title, *_ in self._queue]

    def refresh_runs(self) -> None:
        self._panel.set_runs(
            [
                RunRow(
                    r.run_id,
                    r.model,
                    r.dataset,
                    r.universe,
                    str(r.config.get("dataset", {}).get("segments", "")).split(",")[-1],
                    r.metrics,
                )
                for r in self.registry.runs()
            ]
        )

    def _on_events_run_changed(self, _event: RunRegistered | RunDeleted) -> None:
        self.refresh_runs()

    def submit(self, request: StartTraining, rolling: RollingStep | None = None, window: str = "expanding") -> None:
        """Queue a training job (walk-forward with `rolling`, as `train --rolling`); it starts at once when
        nothing else runs."""
        title = f"{request.model} · {request.dataset.kind} · " + (
            request.dataset.universe
            if isinstance(request.dataset.universe, str)
            else f"{len(request.dataset.universe)}"
        )
        if rolling is not None:
            title += " · " + _tr("walk-forward {step} {window}").format(step=rolling, window=_tr(window))
        self._queue.append((title, request, rolling, window))
        self._start_next()

    def _start_next(self) -> None:
        if not self.runner.busy and self._queue:
            title, request, rolling, window = self._queue.popleft()
            from core.research.rolling import run_rolling
            from core.research.training import run_training

            if not training_libraries_loaded():
                # The first import takes seconds and blocks the GUI thread: say so on screen before it starts.
                self._panel.set_running(False)
                self._panel.set_progress(0.0, _tr("Loading torch, LightGBM and Qlib (first training only)…"))
                self._panel.repaint()
                QApplication.setOverrideCursor(Qt.CursorShape.WaitCursor)
                try:
                    load_training_libraries()
                finally:
                    QApplication.restoreOverrideCursor()
            self._current, self._window = title, ""
            self._stage = ("", time.monotonic())
            self._panel.clear_curves(title)
            self._panel.set_running(True)
            data_dir, registry, store_file = self._data_dir, self.registry, self._store_file
            if rolling is not None:  # the same job as `train --rolling`
                self.runner.start(
                    title,
                    lambda token: run_rolling(request, rolling, data_dir, window, token, registry, store_file),
                )
            else:
                self.runner.start(
                    title, lambda token: run_training(request, data_dir, token, registry, store_file=store_file)
                )
        self._panel.set_queue(self.queued)

    # -- intents -----------------------------------------------------------------------------
    def _on_panel_sig_model_changed(self, model: str) -> None:
        if model:
            self._panel.set_form(default_form(model, self._panel.form_values()))

    def _on_panel_sig_train_requested(self, form: TrainingForm) -> None:
        try:
            request = request_from_form(form)
            rolling = rolling_from_form(form)
        except ValueError as exc:
            self._panel.show_error(str(exc))
            return
        self.submit(request, rolling, form.window)

    def _on_panel_sig_compare_requested(self, run_ids: list[str]) -> None:
        if run_ids:
            self._panel.set_comparison(self.registry.compare(run_ids))

    def _on_panel_sig_delete_requested(self, run_ids: list[str]) -> None:
        for run_id in run_ids:
            self.registry.delete(run_id)
        self.refresh_runs()

    def _on_panel_sig_export_requested(self, run_id: str, folder: str) -> None:
        target = self.registry.export(run_id, Path(folder))
        self._panel.show_error(_tr("Exported to {path}").format(path=target))

    # -- job reports (GUI thread) ----------------------------------------------------------------
    def _on_runner_sig_reported(self, report: Any) -> None:
        from core.models.base import EpochFinished
        from core.research.training import RunFinished

        if isinstance(report, EpochFinished):
            self._panel.add_epoch(report.epoch, report.train_loss, report.valid_loss, report.valid_ic)
        elif isinstance(report, RunFinished):
            self.last_run_id = report.run_id
            self._panel.set_result(report.run_id, report.metrics)
            self.refresh_runs()
        elif getattr(report, "stage", "") == "rolling":
            # A new walk-forward window: its own curves; the windows done so far drive the bar.
            self._window = report.message
            self._panel.clear_curves(f"{self._current} · {report.message}")
            self._panel.set_progress(report.fraction, f"{self._current}: {report.message}")
        elif hasattr(report, "fraction"):
            self._show_progress(report)

    def _show_progress(self, report: Any) -> None:
        now = time.monotonic()
        if report.message != self._stage[0]:
            self._stage = (report.message, now)
        fraction = report.fraction
        elapsed = now - self._stage[1]
        eta = _tr("ETA {eta}").format(eta=_eta(elapsed * (1 - fraction) / fraction)) if fraction > 0.001 else ""
        where = f"{self._current} · {self._window}" if self._window else self._current
        self._panel.set_progress(fraction, f"{where}: {report.message} {fraction:.0%} {eta}".strip())

    def _on_runner_sig_finished(self, event: JobFinished) -> None:
        self._panel.set_running(False)
        if event.cancelled:
            self._panel.show_error(_tr("Cancelled: the finished epochs are checkpointed; train again to resume."))
        elif event.error:
            self._panel.show_error(_tr("Failed: {error}").format(error=event.error))
        else:
            self._panel.set_progress(1.0, _tr("Finished: {run}").format(run=self.last_run_id or ""))
        self._start_next()


_TRAINING_LIBRARIES = ("torch", "lightgbm", "qlib.data")


def training_libraries_loaded() -> bool:
    return all(name in sys.modules for name in _TRAINING_LIBRARIES)


def load_training_libraries() -> None:
    """Import torch, LightGBM and Qlib on the GUI thread, once, before the first job needs them.

    Their first import starts native thread pools and registers handlers; done on a worker thread
    while Qt runs its event loop it has crashed or hung the process, so the job thread only reuses them.
    """
    import importlib

    for name in _TRAINING_LIBRARIES:
        importlib.import_module(name)
