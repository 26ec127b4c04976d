"""EnsemblePresenter: the Training dock's Ensemble button registers a run combining the selected runs' scores.

The same `create_ensemble` as `main.py ensemble`, on a worker of its own, so combining runs neither waits
behind a training job nor holds the GUI thread while the members' predictions are read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QObject

from app.job_runner import JobFinished, JobRunner
from core.research.registry import RunRecord, RunRegistry
from widgets.training_panel import TrainingPanel

if TYPE_CHECKING:
    from core.jobs import CancelToken, JobRegistry


def _tr(text: str) -> str:
    return QCoreApplication.translate("EnsemblePresenter", text)


class EnsemblePresenter(QObject):
    """One ensemble at a time; the new run reaches every dock through the registry's RunRegistered fact."""

    def __init__(
        self,
        panel: TrainingPanel,
        registry: RunRegistry,
        refresh_runs: Callable[[], None],
        jobs: JobRegistry | None = None,
    ) -> None:
        super().__init__(panel)
        self._panel, self._registry, self._refresh_runs = panel, registry, refresh_runs
        self.runner = JobRunner(self, jobs)
        self.runner.sig_reported.connect(self._on_runner_sig_reported)
        self.runner.sig_finished.connect(self._on_runner_sig_finished)
        self.last: RunRecord | None = None  # the newest ensemble made here
        self._best_member_ic = float("nan")
        panel.sig_ensemble_requested.connect(self._on_panel_sig_ensemble_requested)

    def _on_panel_sig_ensemble_requested(self, run_ids: list[str], method: str) -> None:
        if len(run_ids) < 2:
            self._panel.show_error(_tr("Select two or more runs in the table to combine them."))
            return
        registry = self._registry

        def combine(token: CancelToken) -> Any:
            from core.research.ensemble import create_ensemble

            token.raise_if_cancelled()
            record = create_ensemble(registry, run_ids, method)
            yield record, max(registry.get(r).metrics.get("ic", float("nan")) for r in run_ids)

        if self.runner.start(f"ensemble of {len(run_ids)} runs", combine):
            self.last = None  # its report reaches this thread only after this handler returns
            self._panel.show_error(_tr("Combining {count} runs…").format(count=len(run_ids)))
        else:
            self._panel.show_error(_tr("An ensemble is still being made; try again when it has finished."))

    def _on_runner_sig_reported(self, made: tuple[RunRecord, float]) -> None:
        self.last, self._best_member_ic = made

    def _on_runner_sig_finished(self, event: JobFinished) -> None:
        record = self.last
        if event.error or record is None:
            self._panel.show_error(_tr("Ensemble refused: {error}").format(error=event.error))
            return
        self._panel.show_error(
            _tr("Ensemble {run}: IC {ic:.4f}, its best member {best:.4f}").format(
                run=record.run_id, ic=record.metrics.get("ic", float("nan")), best=self._best_member_ic
            )
        )
        self._refresh_runs()  # the registry's fact may still be on its way; the table shows the run now
        self._panel.select_runs([record.run_id])
