"""ResearchPresenter: the Research dock's studies — start, follow live, cancel, resume, register the best trial."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject

from app.job_runner import JobFinished, JobRunner
from core.datasets.config import DatasetConfig, Segments, parse_universe
from core.models import MODEL_NAMES
from core.research.config import StartTraining
from core.research.registry import RunRegistry
from widgets.research_panel import ResearchPanel, StudyForm, StudyRow, TrialView

if TYPE_CHECKING:
    from core.jobs import JobRegistry
    from core.research.study_request import StartStudy


def _tr(text: str) -> str:
    return QCoreApplication.translate("ResearchPresenter", text)


def study_from_form(form: StudyForm) -> StartStudy:
    """The study command for the form, over the model's default space; ValueError names the bad field."""
    from core.research.execution import RayOptions
    from core.research.search_space import default_space
    from core.research.study_request import StartStudy

    try:
        segments = Segments.parse(form.segments)
    except ValueError as exc:
        raise ValueError(_tr("Segments: {error}").format(error=exc)) from None
    try:
        universe = parse_universe(form.universe)
    except ValueError as exc:
        raise ValueError(_tr("Universe: {error}").format(error=exc)) from None
    training = StartTraining(form.model, DatasetConfig(form.dataset, universe, segments))
    name = form.study or f"{form.model}-{form.dataset}-{form.universe}"
    # The cluster is reached when the job starts, on its worker thread: an address that does not answer
    # fails the job in seconds with one line, and the window never waits on the network.
    ray = RayOptions(form.ray_address) if form.ray_address else None
    return StartStudy(name, training, default_space(form.model), form.trials, workers=form.workers, ray=ray)


class ResearchPresenter(QObject):
    """One study job at a time on its own runner; trial reports update the table and charts as they come."""

    def __init__(
        self,
        panel: ResearchPanel,
        data_dir: Path,
        *,
        registry: RunRegistry | None = None,
        jobs: JobRegistry | None = None,
        storage_file: Path | None = None,
    ) -> None:
        super().__init__(panel)
        self._panel, self._data_dir, self._storage_file = panel, Path(data_dir), storage_file
        self.registry = registry or RunRegistry(self._data_dir)
        self.runner = JobRunner(self, jobs)
        self.runner.sig_reported.connect(self._on_runner_sig_reported)
        self.runner.sig_finished.connect(self._on_runner_sig_finished)
        self.current: str | None = None  # the study shown in the trials table
        self.last_run_id: str | None = None
        panel.set_models(MODEL_NAMES)
        panel.sig_start_requested.connect(self._on_panel_sig_start_requested)
        panel.sig_resume_requested.connect(self._on_panel_sig_resume_requested)
        panel.sig_register_requested.connect(self._on_panel_sig_register_requested)
        panel.sig_cancel_requested.connect(self.runner.cancel)
        panel.sig_study_selected.connect(self._on_panel_sig_study_selected)
        panel.sig_first_shown.connect(self.refresh)

    def refresh(self) -> None:
        """Reload the studies list (and the shown study's trials) from the study storage."""
        from core.research.study_store import describe, study_names

        rows = []
        for name in study_names(self._data_dir, self._storage_file):
            info = describe(name, self._data_dir, self._storage_file)
            best = info.best.value if info.best is not None else None
            rows.append(StudyRow(name, info.model, info.universe, info.metric, len(info.trials), best))
        self._panel.set_studies(rows, self.current)
        if self.current is not None and any(r.name == self.current for r in rows):
            self._show_study(self.current)

    def start(self, request: StartStudy) -> bool:
        from core.research.tuning import run_study

        self.current = request.study
        self._panel.set_trials([], maximize=request.metric != "valid_loss")
        self._panel.set_importances({})
        return self._run(
            request.study,
            lambda token: run_study(request, self._data_dir, token, self.registry, self._storage_file),
            _tr("Study {study}: running {trials} trial(s)…").format(study=request.study, trials=request.trials),
        )

    def _run(self, name: str, job: Any, status: str) -> bool:
        from app.training_presenter import load_training_libraries, training_libraries_loaded

        if self.runner.busy:
            self._panel.show_status(_tr("A study is already running; cancel it first."))
            return False
        if not training_libraries_loaded():
            # Their first import must happen on the GUI thread, once (see the training presenter).
            self._panel.show_status(_tr("Loading torch, LightGBM and Qlib (first study only)…"))
            self._panel.repaint()
            load_training_libraries()
        if not self.runner.start(name, job):
            self._panel.show_status(_tr("A study is already running; cancel it first."))
            return False
        self._panel.set_running(True)
        self._panel.show_status(status)
        return True

    def _show_study(self, name: str) -> None:
        from core.research.study_store import describe, importances

        info = describe(name, self._data_dir, self._storage_file)
        trials = [TrialView(t.number, t.state, t.value, dict(t.params)) for t in info.trials]
        self._panel.set_trials(trials, maximize=info.metric != "valid_loss")
        self._panel.set_importances(importances(name, self._data_dir, self._storage_file))

    # -- intents -----------------------------------------------------------------------------
    def _on_panel_sig_start_requested(self, form: StudyForm) -> None:
        try:
            request = study_from_form(form)
        except ValueError as exc:
            self._panel.show_status(str(exc))
            return
        self.start(request)

    def _on_panel_sig_resume_requested(self, name: str) -> None:
        from core.research.tuning import stored_request

        form = self._panel.form_values()
        self.start(stored_request(name, self._data_dir, form.trials, form.workers, self._storage_file))

    def _on_panel_sig_register_requested(self, name: str) -> None:
        from core.research.tuning import register_best

        self.current = name
        self._run(
            name,
            lambda token: register_best(name, self._data_dir, token, self.registry, self._storage_file),
            _tr("Study {study}: retraining the best trial…").format(study=name),
        )

    def _on_panel_sig_study_selected(self, name: str) -> None:
        if self.runner.busy:
            return  # the running study keeps the table
        self.current = name
        self._show_study(name)

    # -- job reports (GUI thread) ----------------------------------------------------------------
    def _on_runner_sig_reported(self, report: Any) -> None:
        from core.research.study_request import StudyFinished, TrialFinished, TrialStarted
        from core.research.training import RunFinished, StageProgress

        if isinstance(report, TrialStarted):
            self._panel.update_trial(TrialView(report.number, "running", None, report.params))
        elif isinstance(report, TrialFinished):
            self._panel.update_trial(TrialView(report.number, report.state, report.value, report.params))
        elif isinstance(report, StudyFinished):
            self._finished_run(report.run)
        elif isinstance(report, RunFinished):
            self._finished_run(report)
        elif isinstance(report, StageProgress):
            self._panel.show_status(f"{self.current}: {report.message} {report.fraction:.0%}")

    def _finished_run(self, run: Any) -> None:
        # The registry announces the run (RunRegistered) to the other docks itself.
        self.last_run_id = run.run_id

    def _on_runner_sig_finished(self, event: JobFinished) -> None:
        self._panel.set_running(False)
        if event.cancelled:
            self._panel.show_status(_tr("Cancelled: finished trials are kept; Resume adds more."))
        elif event.error:
            self._panel.show_status(_tr("Failed: {error}").format(error=event.error))
        else:
            self._panel.show_status(_tr("Finished: best trial registered as run {run}").format(run=self.last_run_id))
        self.refresh()
