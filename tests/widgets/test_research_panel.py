"""ResearchPanel offscreen: trials render with best-so-far by direction, importances, parallel lines; intents."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from widgets.research_panel import ResearchPanel, StudyRow, TrialView

TRIALS = [
    TrialView(0, "complete", 0.02, {"learning_rate": 0.1, "num_leaves": 8}),
    TrialView(1, "pruned", None, {"learning_rate": 0.3, "num_leaves": 16}),
    TrialView(2, "complete", 0.05, {"learning_rate": 0.05, "num_leaves": 4}),
    TrialView(3, "complete", 0.01, {"learning_rate": 0.2, "num_leaves": 32}),
]


def test_trials_best_so_far_and_parallel_lines(qtbot: QtBot) -> None:
    panel = ResearchPanel()
    qtbot.addWidget(panel)
    panel.set_trials(TRIALS, maximize=True)
    rows = panel.trial_rows()
    assert [r[:3] for r in rows] == [
        ("0", "complete", "0.0200"),
        ("1", "pruned", "-"),
        ("2", "complete", "0.0500"),
        ("3", "complete", "0.0100"),
    ]
    assert "num_leaves=16" in rows[1][3]
    assert panel.best_so_far() == [(0, 0.02), (2, 0.05), (3, 0.05)]  # pruned trials have no value
    assert len(panel.parallel_plot.listDataItems()) == 3  # one line per completed trial

    panel.set_trials(TRIALS, maximize=False)  # a loss: lower is better
    assert panel.best_so_far() == [(0, 0.02), (2, 0.02), (3, 0.01)]

    panel.update_trial(TrialView(4, "running", None, {"learning_rate": 0.01, "num_leaves": 4}))
    assert panel.trial_rows()[-1][:2] == ("4", "running") and len(panel.best_so_far()) == 3

    panel.set_importances({"num_leaves": 0.3, "learning_rate": 0.7})
    assert panel.importance_names() == ["learning_rate", "num_leaves"]


def test_intents_name_the_selected_study(qtbot: QtBot) -> None:
    panel = ResearchPanel()
    qtbot.addWidget(panel)
    panel.set_models(["lightgbm", "mlp"])
    panel.set_studies(
        [
            StudyRow("a", "lightgbm", "csi300", "valid_ic", 4, 0.05),
            StudyRow("b", "mlp", "csi500", "valid_loss", 0, None),
        ]
    )
    assert panel.studies_table.item(1, 5).text() == "-"
    panel.resume_button.click()  # nothing selected: nothing asked
    with qtbot.waitSignal(panel.sig_study_selected) as selected:
        panel.studies_table.selectRow(1)
    assert selected.args == ["b"] and panel.study_edit.text() == "b"
    with qtbot.waitSignal(panel.sig_resume_requested) as resumed:
        panel.resume_button.click()
    with qtbot.waitSignal(panel.sig_register_requested) as registered:
        panel.register_button.click()
    assert resumed.args == ["b"] and registered.args == ["b"]
    panel.trials_spin.setValue(7)
    with qtbot.waitSignal(panel.sig_start_requested) as started:
        panel.start_button.click()
    form = started.args[0]
    assert (form.study, form.model, form.trials, form.workers) == ("b", "lightgbm", 7, 1)
    panel.set_running(True)
    assert not panel.start_button.isEnabled() and panel.cancel_button.isEnabled()
