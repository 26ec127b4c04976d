"""FactorLabPanel presenter: evaluates an expression as a cancellable job and shows its tear sheet's numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject

from app.job_runner import JobFinished, JobRunner
from app.training_presenter import load_training_libraries, training_libraries_loaded
from core.jobs import CancelToken, JobRegistry, Progress
from widgets.factor_lab_panel import FactorForm, FactorLabPanel, FactorView

# The tear sheet's headline numbers, in the order the CLI prints them, with names a researcher reads.
METRICS = (
    ("ic", "IC"),
    ("icir", "ICIR"),
    ("rank_ic", "Rank IC"),
    ("rank_icir", "Rank ICIR"),
    ("ic_positive", "Days with IC > 0"),
    ("long_short", "Long–short, daily"),
    ("top_turnover", "Top quantile turnover"),
    ("coverage", "Coverage"),
)


def _tr(text: str) -> str:
    return QCoreApplication.translate("FactorLab", text)


class FactorLabPresenter(QObject):
    """One evaluation at a time; the store is exported for Qlib first, as `factor eval` does."""

    def __init__(
        self, panel: FactorLabPanel, data_dir: Path, store_file: Path | None = None, jobs: JobRegistry | None = None
    ) -> None:
        super().__init__(panel)
        from core.research.factors.expression import FIELDS, OPERATORS

        self._panel, self._data_dir, self._store_file = panel, Path(data_dir), store_file
        self.runner = JobRunner(self, jobs)
        self.runner.sig_reported.connect(self._on_runner_sig_reported)
        self.runner.sig_finished.connect(self._on_runner_sig_finished)
        self.result: Any = None  # the last FactorResult
        panel.set_vocabulary([*OPERATORS, *(f"${name}" for name in FIELDS)])
        panel.sig_evaluate_requested.connect(self._on_panel_sig_evaluate_requested)
        panel.sig_cancel_requested.connect(self.runner.cancel)

    def _on_panel_sig_evaluate_requested(self, form: FactorForm) -> None:
        from core.datasets.config import parse_universe
        from core.research.factors.engine import EvaluateFactor, run_factor_eval
        from core.research.factors.expression import parse_factor

        try:
            parse_factor(form.expression)  # a typo is reported at once, with its position, not after the export
            request = EvaluateFactor(form.expression, parse_universe(form.universe), form.start, form.end)
        except ValueError as exc:  # ExpressionError included
            self._panel.show_message(str(exc))
            return

        if not training_libraries_loaded():  # Qlib's first import belongs on the GUI thread (training presenter)
            self._panel.show_message(_tr("Loading Qlib (first evaluation only)…"))
            self._panel.repaint()
            load_training_libraries()

        def job(token: CancelToken) -> Any:
            return run_factor_eval(request, self._data_dir, token, self._store_file)

        if self.runner.start(_tr("Factor {expression}").format(expression=form.expression), job):
            self._panel.set_running(True)
            self._panel.show_message(_tr("Evaluating {expression}…").format(expression=form.expression))

    def _on_runner_sig_reported(self, report: Any) -> None:
        from core.research.factors.engine import FactorEvaluated

        if isinstance(report, Progress):
            self._panel.show_progress(report.done, report.total, report.message)
        elif isinstance(report, FactorEvaluated):
            self.result = report.result
            self._panel.show_result(factor_view(report.result))

    def _on_runner_sig_finished(self, event: JobFinished) -> None:
        self._panel.set_running(False)
        if event.cancelled:
            self._panel.show_message(_tr("Cancelled."))
        elif event.error:
            self._panel.show_message(_tr("Failed: {error}").format(error=event.error))
        elif self.result is not None:
            s = self.result.summary
            self._panel.show_message(
                _tr("{expression}: {days} days scored, {names} instruments").format(
                    expression=self.result.expression, days=f"{s['scored_days']:,.0f}", names=f"{s['instruments']:,.0f}"
                )
            )


def factor_view(result: Any) -> FactorView:
    """What the panel draws of a FactorResult: formatted headline numbers, decay and quantile series."""
    from core.research.factors.report import format_value

    horizons = sorted(result.decay)
    return FactorView(
        result.expression,
        [(_tr(label), format_value(key, result.summary[key])) for key, label in METRICS],
        horizons,
        [result.decay[h][0] for h in horizons],
        [result.decay[h][1] for h in horizons],
        [100.0 * r for r in result.quantile_returns],
    )
