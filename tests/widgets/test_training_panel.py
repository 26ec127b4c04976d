"""TrainingPanel offscreen: form round trip, curves, runs table, comparison, intents."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from widgets.training_form import TrainingForm
from widgets.training_panel import RunRow, TrainingPanel


def test_form_round_trip_and_train_intent(qtbot: QtBot) -> None:
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.set_models(["lightgbm", "gru"])
    form = TrainingForm(
        "gru", "alpha360", "csi500", "2010:2011,2012:2012,2013:2013", "cpu", 7, 0.001, 32, 256, 4, "dropout=0.1"
    )
    panel.set_form(form)
    assert panel.form_values() == form
    with qtbot.waitSignal(panel.sig_train_requested) as blocker:
        panel.train_button.click()
    assert blocker.args == [form]
    with qtbot.waitSignal(panel.sig_model_changed) as changed:
        panel.fields.model_combo.setCurrentText("lightgbm")
    assert changed.args == ["lightgbm"]


def test_curves_runs_and_comparison(qtbot: QtBot) -> None:
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    assert panel.curves_stack.currentWidget() is panel.empty_curves  # a sentence, not two empty plots
    panel.clear_curves("gru")
    panel.add_epoch(1, 1.0, 0.99, 0.01)
    assert panel.curves_stack.currentWidget() is panel.curves
    assert panel.curves.loss_plot.titleLabel.text == "gru"
    panel.add_epoch(2, 0.9, 0.98, 0.03)
    assert list(panel.curves.ic_curve.getData()[1]) == [0.01, 0.03]
    assert list(panel.curves.train_curve.getData()[0]) == [1, 2]
    panel.clear_curves("next")
    assert panel.curve_points() == [] and len(panel.curves.ic_curve.getData()[0] or []) == 0
    panel.set_runs(
        [
            RunRow("r1", "gru", "alpha360", "csi300", "2017:2020", {"ic": 0.05, "rank_ic": 0.06}),
            RunRow("r2", "lightgbm", "alpha158", "csi300", "2017:2020", {"ic": 0.04}),
        ]
    )
    assert panel.runs_table.rowCount() == 2 and panel.runs_table.item(0, 5).text() == "0.0500"
    panel.select_runs(["r1", "r2"])
    assert panel.selected_runs() == ["r1", "r2"]
    with qtbot.waitSignal(panel.sig_delete_requested) as deleted:
        panel.delete_button.click()
    assert deleted.args == [["r1", "r2"]]
    panel.set_comparison(
        [
            {"run_id": "r1", "train_seconds": 77.6953, "rank_ic": 0.05, "epochs": 20},
            {"run_id": "r2", "train_seconds": 9.25, "rank_ic": None, "epochs": 5},
        ]
    )
    table = panel.compare_table
    assert table.columnCount() == 2 and table.horizontalHeaderItem(1).text() == "r2"  # run ids head the columns
    labels = [table.verticalHeaderItem(r).text() for r in range(table.rowCount())]
    assert labels == ["Training time", "Rank IC", "Epochs"]  # labelled, not raw keys
    assert [table.item(r, 0).text() for r in range(3)] == ["1 min 18 s", "0.0500", "20"]
    assert [table.item(r, 1).text() for r in range(3)] == ["9.2 s", "—", "5"]
    panel.set_progress(0.5, "training 50%")
    assert panel.progress.value() == 500 and panel.status.text() == "training 50%"
    panel.set_result("r1", {"ic": 0.05, "icir": 0.5, "rank_ic": 0.06, "rank_icir": 0.6})
    assert "Rank ICIR 0.6000" in panel.result.text()


def test_the_walk_forward_window_sits_on_its_switchs_row_and_follows_it(qtbot: QtBot) -> None:
    panel = TrainingPanel()
    qtbot.addWidget(panel)
    panel.resize(1280, 400)
    panel.show()
    qtbot.waitExposed(panel)
    fields = panel.fields
    followers = (fields.rolling_edit, fields.window_label, fields.window_combo)
    row = fields.rolling_check.geometry().center().y()
    assert all(abs(w.geometry().center().y() - row) <= 2 for w in followers)
    assert abs(fields.seed_spin.geometry().center().y() - row) > 10  # no longer on the seed's row
    assert not any(w.isEnabled() for w in followers)
    fields.rolling_check.setChecked(True)
    assert all(w.isEnabled() for w in followers)
    assert panel.form_values().rolling == "1m" and panel.form_values().window == "expanding"
