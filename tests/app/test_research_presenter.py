"""Research dock offscreen: a real tiny study fills the trials table live; resume, register best, cancel."""

from __future__ import annotations

from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from app.research_presenter import ResearchPresenter, study_from_form
from core.research.registry import RunRegistry
from core.research.study_store import describe
from tests.core.research.slices import Slice
from tests.core.research.test_tuning import SPACE, study
from widgets.research_panel import ResearchPanel, StudyForm

WAIT_MS = 300_000


@pytest.fixture()
def ui(qtbot: QtBot, research_slice: Slice, tmp_path: Path) -> tuple[ResearchPanel, ResearchPresenter]:
    panel = ResearchPanel()
    qtbot.addWidget(panel)
    presenter = ResearchPresenter(
        panel, research_slice.data_dir, registry=RunRegistry(tmp_path), storage_file=tmp_path / "studies.sqlite"
    )
    yield panel, presenter
    presenter.runner.cancel()
    presenter.runner.wait(60)


def _select(panel: ResearchPanel, name: str) -> None:
    row = next(i for i in range(panel.studies_table.rowCount()) if panel.studies_table.item(i, 0).text() == name)
    panel.studies_table.selectRow(row)


def test_a_study_runs_live_then_resumes_and_registers(
    qtbot: QtBot, ui: tuple[ResearchPanel, ResearchPresenter], research_slice: Slice, tmp_path: Path
) -> None:
    panel, presenter = ui
    seen_running: list[bool] = []
    panel.trials_table.model().dataChanged.connect(
        lambda *_: seen_running.append(any(r[1] == "running" for r in panel.trial_rows()))
    )
    with qtbot.waitSignal(presenter.runner.sig_finished, timeout=WAIT_MS):
        assert presenter.start(study(research_slice, "dock", trials=3))
        assert panel.cancel_button.isEnabled() and not panel.start_button.isEnabled()
    assert any(seen_running)  # rows appeared as trials started, before they ended

    rows = panel.trial_rows()
    assert [r[0] for r in rows] == ["0", "1", "2"] and all(r[1] == "complete" for r in rows)
    values = [float(r[2]) for r in rows]
    best = panel.best_so_far()
    assert [b for _, b in best] == pytest.approx([max(values[: i + 1]) for i in range(3)], abs=1e-4)
    assert set(panel.importance_names()) == set(SPACE)
    assert panel.studies_table.rowCount() == 1 and panel.studies_table.item(0, 0).text() == "dock"
    registry = RunRegistry(tmp_path)
    assert presenter.last_run_id is not None and registry.get(presenter.last_run_id).model == "lightgbm"
    assert presenter.last_run_id in panel.status_label.text()

    _select(panel, "dock")
    panel.trials_spin.setValue(1)
    with qtbot.waitSignal(presenter.runner.sig_finished, timeout=WAIT_MS):
        panel.resume_button.click()  # adds one trial to the stored study, with its own dataset and space
    assert len(describe("dock", tmp_path, tmp_path / "studies.sqlite").trials) == 4
    assert len(panel.trial_rows()) == 4, panel.status_label.text()
    assert panel.studies_table.item(0, 4).text() == "4"

    _select(panel, "dock")
    with qtbot.waitSignal(presenter.runner.sig_finished, timeout=WAIT_MS):
        panel.register_button.click()  # retrains the best trial and registers it again, adding no trial
    assert len(registry.runs()) == 3 and len(panel.trial_rows()) == 4
    info = describe("dock", tmp_path, tmp_path / "studies.sqlite")
    assert info.best is not None and info.runs[str(info.best.number)] == presenter.last_run_id


def test_cancel_keeps_finished_trials(
    qtbot: QtBot, ui: tuple[ResearchPanel, ResearchPresenter], research_slice: Slice
) -> None:
    panel, presenter = ui
    request = study(research_slice, "cancel", trials=30)
    assert presenter.start(request)
    qtbot.waitUntil(lambda: any(r[1] == "complete" for r in panel.trial_rows()), timeout=WAIT_MS)
    with qtbot.waitSignal(presenter.runner.sig_finished, timeout=WAIT_MS):
        panel.cancel_button.click()
    assert "Cancelled" in panel.status_label.text() and presenter.last_run_id is None
    rows = panel.trial_rows()
    assert 1 <= len(rows) < 30 and rows[0][1] == "complete" and "running" not in [r[1] for r in rows]
    assert panel.start_button.isEnabled() and not panel.cancel_button.isEnabled()


def test_bad_form_input_is_named(ui: tuple[ResearchPanel, ResearchPresenter]) -> None:
    panel, presenter = ui
    form = StudyForm("", "lightgbm", "alpha158", "csi300", "2020-01-01", 5, 1)
    with pytest.raises(ValueError, match="Segments:"):
        study_from_form(form)
    panel.segments_edit.setText("2020-01-01")
    panel.start_button.click()
    assert panel.status_label.text().startswith("Segments:") and not presenter.runner.busy
    segments = "2010-01-01:2011-12-31,2012-01-01:2012-06-30,2012-07-01:2012-12-31"
    ok = study_from_form(StudyForm("", "lightgbm", "alpha158", "csi300", segments, 5, 2))
    assert ok.study == "lightgbm-alpha158-csi300" and ok.workers == 2 and ok.trials == 5


def test_a_study_on_a_ray_address_that_does_not_answer_fails_in_one_line(
    qtbot: QtBot, ui: tuple[ResearchPanel, ResearchPresenter]
) -> None:
    import socket

    panel, presenter = ui
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    panel.segments_edit.setText("2010-01-01:2011-12-31,2012-01-01:2012-06-30,2012-07-01:2012-12-31")
    panel.ray_edit.setText(f"127.0.0.1:{port}")
    assert study_from_form(panel.form_values()).ray is not None
    panel.start_button.click()  # the address is tried on the job's thread, not the window's
    qtbot.waitUntil(lambda: not presenter.runner.busy, timeout=60_000)
    status = panel.status_label.text()
    assert "no Ray head answers" in status and f"127.0.0.1:{port}" in status and "\n" not in status
    assert panel.start_button.isEnabled()
