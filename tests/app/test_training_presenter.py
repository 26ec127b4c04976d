"""Training panel and presenter offscreen: a real job on a worker thread, live curves, queue, cancel, registry."""

from __future__ import annotations

import pytest
from pytestqt.qtbot import QtBot

from app.training_presenter import TrainingPresenter, default_form, request_from_form
from tests.core.research.slices import TINY_SEGMENTS, Slice, train_tiny_lightgbm
from widgets.training_panel import TrainingPanel

UNIVERSE = ""


@pytest.fixture()
def ui(qtbot: QtBot, research_slice: Slice) -> tuple[TrainingPanel, TrainingPresenter]:
    global UNIVERSE
    UNIVERSE = ",".join(research_slice.symbols[:20])  # tiny_config's universe: its datasets are cached
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    presenter = TrainingPresenter(panel, research_slice.data_dir)
    yield panel, presenter
    presenter.runner.cancel()
    presenter.runner.wait(30)
    presenter.ensembles.runner.wait(30)


def _fill(panel: TrainingPanel, model: str, epochs: int, extra: str = "") -> None:
    panel.fields.model_combo.setCurrentText(model)  # shows that model's defaults first
    panel.fields.universe_edit.setText(UNIVERSE)
    panel.fields.segments_edit.setText(str(TINY_SEGMENTS))
    panel.fields.device_combo.setCurrentText("cpu")
    panel.fields.epochs_spin.setValue(epochs)
    panel.fields.size_spin.setValue(8 if model != "lightgbm" else 15)
    panel.fields.batch_spin.setValue(64)
    panel.fields.extra_edit.setText(extra)


def test_train_queue_cancel_and_registry(qtbot: QtBot, ui: tuple[TrainingPanel, TrainingPresenter]) -> None:
    panel, presenter = ui
    _fill(panel, "gru", 50, "num_layers=1, early_stop=0")
    panel.train_button.click()
    assert presenter.runner.busy and panel.cancel_button.isEnabled()
    _fill(panel, "lightgbm", 20, "lambda_l1=0, lambda_l2=1, num_threads=1, rounds_per_epoch=5")
    panel.train_button.click()
    assert len(presenter.queued) == 1 and panel.queue.count() == 1  # waits behind the GRU

    qtbot.waitUntil(lambda: len(panel.curve_points()) >= 2 or not presenter.runner.busy, timeout=120_000)
    assert presenter.runner.busy, panel.status.text()  # curves grow per epoch
    assert panel.progress.value() > 0 and "ETA" in panel.status.text()
    curves = panel.curves
    assert all(len(c.getData()[0]) >= 2 for c in (curves.train_curve, curves.valid_curve, curves.ic_curve))
    panel.cancel_button.click()
    # The GRU stops within a batch; the queued LightGBM job starts, finishes and is registered.
    qtbot.waitUntil(lambda: presenter.last_run_id is not None and not presenter.runner.busy, timeout=300_000)
    assert panel.queue.count() == 0 and not panel.cancel_button.isEnabled()
    run_id = presenter.last_run_id
    assert run_id is not None and run_id in panel.result.text() and "Rank ICIR" in panel.result.text()
    assert [r.model for r in presenter.registry.runs()] == ["lightgbm"]  # the cancelled GRU did not register
    assert panel.runs_table.item(0, 0).text() == run_id
    assert 1 <= len(panel.curve_points()) <= 4  # LightGBM: 20 rounds in blocks of 5, a fresh chart

    panel.select_runs([run_id])
    panel.compare_button.click()
    assert panel.compare_table.columnCount() == 1 and panel.tabs.currentWidget() is panel.compare_table
    panel.delete_button.click()
    assert panel.runs_table.rowCount() == 0 and presenter.registry.runs() == []


def test_the_first_train_says_it_is_loading_the_libraries_before_the_window_waits_on_them(
    qtbot: QtBot, ui: tuple[TrainingPanel, TrainingPresenter], monkeypatch: pytest.MonkeyPatch
) -> None:
    import app.training_presenter as training

    panel, presenter = ui
    seen: list[tuple[str, bool]] = []
    monkeypatch.setattr(training, "training_libraries_loaded", lambda: False)
    monkeypatch.setattr(
        training,
        "load_training_libraries",
        lambda: seen.append((panel.status.text(), panel.cancel_button.isEnabled())),
    )
    _fill(panel, "lightgbm", 5, "lambda_l1=0, lambda_l2=1, num_threads=1, rounds_per_epoch=5")
    panel.train_button.click()
    # While the imports run there is nothing to cancel yet, and the panel says why it waits.
    assert seen == [("Loading torch, LightGBM and Qlib (first training only)…", False)]
    assert presenter.runner.busy and panel.cancel_button.isEnabled()
    qtbot.waitUntil(lambda: not presenter.runner.busy, timeout=300_000)


def test_bad_form_is_refused_with_a_message(ui: tuple[TrainingPanel, TrainingPresenter]) -> None:
    panel, presenter = ui
    _fill(panel, "mlp", 2)
    panel.fields.segments_edit.setText("2011:2012")
    panel.train_button.click()
    assert not presenter.runner.busy and panel.status.text().startswith("Segments:")
    panel.fields.segments_edit.setText(str(TINY_SEGMENTS))
    panel.fields.extra_edit.setText("dropout")
    panel.train_button.click()
    assert panel.status.text().startswith("Parameters:")


def test_form_maps_to_model_parameters() -> None:
    form = default_form("transformer")
    request = request_from_form(form)
    assert request.params == {"epochs": 200, "lr": 2e-4, "batch_size": 800, "d_model": 64}
    assert request.dataset.kind == "alpha360" and request.dataset.universe == "csi300"
    lgb = request_from_form(default_form("lightgbm", form))
    assert lgb.params == {"num_boost_round": 1000, "learning_rate": 0.2, "num_leaves": 210}


def test_walk_forward_trains_a_window_at_a_time_cancels_and_resumes(
    qtbot: QtBot, ui: tuple[TrainingPanel, TrainingPresenter]
) -> None:
    from core.research.training import StageProgress

    panel, presenter = ui
    _fill(panel, "lightgbm", 120, "lambda_l1=0, lambda_l2=1, num_threads=1, rounds_per_epoch=40, early_stop=0")
    assert not panel.fields.rolling_edit.isEnabled()
    panel.fields.rolling_check.setChecked(True)
    panel.fields.rolling_edit.setText("1m")
    panel.fields.window_combo.setCurrentIndex(panel.fields.window_combo.findData("sliding"))
    windows: list[tuple[int, int, str]] = []

    def seen(report: object) -> None:  # connected after the presenter: the panel already shows the report
        if isinstance(report, StageProgress) and report.stage == "rolling":
            windows.append((report.done, report.total, panel.status.text()))
            if len(windows) == 1:
                panel.cancel_button.click()  # inside the first window's 120 rounds

    presenter.runner.sig_reported.connect(seen)
    before = {r.run_id for r in presenter.registry.runs()}
    panel.train_button.click()
    qtbot.waitUntil(lambda: not presenter.runner.busy, timeout=300_000)
    assert panel.status.text().startswith("Cancelled") and {r.run_id for r in presenter.registry.runs()} == before
    assert windows[0][:2] == (0, 3) and "window 1/3 from 2011-10" in windows[0][2]
    assert "walk-forward 1m sliding" in windows[0][2]  # the job's title says how it trains

    panel.train_button.click()  # the same request: finished windows are kept, the rest trained
    qtbot.waitUntil(lambda: not presenter.runner.busy, timeout=300_000)
    assert [w[:2] for w in windows[1:]] == [(0, 3), (1, 3), (2, 3)]
    assert "window 3/3" in windows[-1][2] and "window 3/3" in panel.curves_title()
    [run] = [r for r in presenter.registry.runs() if r.run_id not in before]
    assert run.run_id == presenter.last_run_id and run.run_id in panel.result.text()
    rolling = run.config["rolling"]
    assert (rolling["step"], rolling["window"], len(rolling["windows"])) == ("1m", "sliding", 3)


def test_a_bad_walk_forward_step_is_refused_with_a_message(ui: tuple[TrainingPanel, TrainingPresenter]) -> None:
    panel, presenter = ui
    _fill(panel, "lightgbm", 5)
    panel.fields.rolling_check.setChecked(True)
    panel.fields.rolling_edit.setText("2w")
    panel.train_button.click()
    assert not presenter.runner.busy and panel.status.text().startswith("Walk-forward: bad step '2w'")
    panel.fields.rolling_edit.setText("")
    panel.train_button.click()
    assert not presenter.runner.busy and panel.status.text().startswith("Walk-forward: bad step ''")


def test_the_ensemble_button_registers_a_run_of_the_selected_runs(
    qtbot: QtBot, ui: tuple[TrainingPanel, TrainingPresenter], research_slice: Slice
) -> None:
    panel, presenter = ui
    a = train_tiny_lightgbm(research_slice, count=20, seed=21, colsample_bytree=0.5)
    b = train_tiny_lightgbm(research_slice, count=20, seed=22, num_leaves=7, colsample_bytree=0.5)
    other_universe = train_tiny_lightgbm(research_slice, count=15, seed=23)
    presenter.refresh_runs()
    made = []
    try:
        panel.select_runs([a])
        panel.ensemble_actions["mean"].trigger()
        assert "two or more" in panel.status.text() and not presenter.ensembles.runner.busy

        panel.select_runs([a, other_universe])
        panel.ensemble_actions["rank-mean"].trigger()
        qtbot.waitUntil(lambda: not presenter.ensembles.runner.busy, timeout=60_000)
        assert "refused" in panel.status.text() and "different universes" in panel.status.text()
        assert presenter.ensembles.last is None

        panel.select_runs([a, b])
        panel.ensemble_actions["mean"].trigger()
        assert "Combining 2 runs" in panel.status.text()
        qtbot.waitUntil(lambda: not presenter.ensembles.runner.busy, timeout=60_000)
        record = presenter.ensembles.last
        assert record is not None, panel.status.text()
        made.append(record.run_id)
        assert record.config["ensemble"]["method"] == "mean"
        assert sorted(record.config["ensemble"]["members"]) == sorted([a, b])
        best = max(presenter.registry.get(r).metrics["ic"] for r in (a, b))
        assert f"IC {record.metrics['ic']:.4f}, its best member {best:.4f}" in panel.status.text()
        assert panel.selected_runs() == [record.run_id]  # listed in the runs table and selected there
    finally:
        for run_id in (*made, a, b, other_universe):
            presenter.registry.delete(run_id)
