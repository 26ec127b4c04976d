"""Hyper-parameter studies on the real slice with real Optuna SQLite storage: resume, prune, register, cancel."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest

from core.jobs import Cancelled, CancelToken
from core.research.config import StartTraining
from core.research.registry import RunRegistry
from core.research.search_space import Choice, Range, default_space, load_space
from core.research.study_request import StartStudy, StudyFinished, TrialFinished, TrialStarted
from core.research.study_store import describe, importances, study_names
from core.research.tuning import run_study
from tests.core.research.slices import Slice, tiny_config

# Few rounds on few stocks: a trial takes about a second.
FIXED = {"num_boost_round": 40, "rounds_per_epoch": 5, "early_stop": 0, "num_threads": 1, "lambda_l1": 0.0}
SPACE = {
    "learning_rate": Range(1e-4, 0.5, log=True),
    "num_leaves": Range(4, 32, integer=True),
    "lambda_l2": Range(1e-3, 10.0, log=True),
}


def study(s: Slice, name: str = "s1", trials: int = 3, **kwargs: Any) -> StartStudy:
    training = StartTraining("lightgbm", tiny_config(s), FIXED, seed=kwargs.pop("seed", 0))
    return StartStudy(name, training, kwargs.pop("space", SPACE), trials, **kwargs)


def drain(request: StartStudy, s: Slice, tmp: Path, **kwargs: Any) -> list[Any]:
    return list(
        run_study(request, s.data_dir, registry=RunRegistry(tmp), storage_file=tmp / "studies.sqlite", **kwargs)
    )


def test_study_resumes_and_registers_its_best_as_a_run(research_slice: Slice, tmp_path: Path) -> None:
    first = drain(study(research_slice, trials=2), research_slice, tmp_path)
    assert [r.number for r in first if isinstance(r, TrialFinished)] == [0, 1]
    done = first[-1]
    assert isinstance(done, StudyFinished)
    registry = RunRegistry(tmp_path)
    run = registry.get(done.run.run_id)
    assert run.model == "lightgbm" and run.config["params"]["num_leaves"] == done.best_params["num_leaves"]
    assert len(registry.predictions(run.run_id)) > 0  # scored on the test segment like any run

    second = drain(study(research_slice, trials=2), research_slice, tmp_path)
    assert [r.number for r in second if isinstance(r, TrialFinished)] == [2, 3]  # added, not restarted
    info = describe("s1", tmp_path, tmp_path / "studies.sqlite")
    assert len(info.trials) == 4 and info.model == "lightgbm" and info.metric == "valid_ic"
    assert info.best is not None and info.best.value == max(t.value for t in info.trials if t.value is not None)
    assert str(second[-1].best_number) in info.runs
    assert set(importances("s1", tmp_path, tmp_path / "studies.sqlite")) == set(SPACE)


def test_hopeless_trials_are_pruned(research_slice: Slice, tmp_path: Path) -> None:
    request = study(research_slice, "p", trials=8, metric="valid_loss", prune_startup=2, prune_warmup=1)
    reports = drain(request, research_slice, tmp_path)
    ended = [r for r in reports if isinstance(r, TrialFinished)]
    pruned = [r for r in ended if r.state == "pruned"]
    assert pruned and all(r.epochs < FIXED["num_boost_round"] // FIXED["rounds_per_epoch"] for r in pruned)
    states = {t.number: t.state for t in describe("p", tmp_path, tmp_path / "studies.sqlite").trials}
    assert all(states[r.number] == "pruned" for r in pruned)


def test_another_dataset_or_model_is_refused(research_slice: Slice, tmp_path: Path) -> None:
    drain(study(research_slice, "d", trials=1), research_slice, tmp_path)
    other = StartTraining("lightgbm", tiny_config(research_slice, count=10), FIXED)
    with pytest.raises(ValueError, match="another dataset: universe"):
        drain(StartStudy("d", other, SPACE, 1), research_slice, tmp_path)
    with pytest.raises(ValueError, match="built with metric valid_ic, not valid_loss"):
        drain(study(research_slice, "d", trials=1, metric="valid_loss"), research_slice, tmp_path)

    # A first build that fails (no store here) leaves an empty study that a corrected request may take.
    with pytest.raises(ValueError, match="no market store"):
        list(run_study(StartStudy("e", other, SPACE, 1), tmp_path, storage_file=tmp_path / "studies.sqlite"))
    reports = drain(study(research_slice, "e", trials=1), research_slice, tmp_path)
    assert isinstance(reports[-1], StudyFinished)


def test_bad_input_is_refused_in_one_line(research_slice: Slice, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="--trials must be at least 1"):
        study(research_slice, trials=0)
    with pytest.raises(ValueError, match="--workers must be at least 1"):
        study(research_slice, workers=0)
    with pytest.raises(ValueError, match="unknown parameter.*leaves_num"):
        study(research_slice, space={"leaves_num": Range(2, 8, integer=True)})
    with pytest.raises(ValueError, match="the space is empty"):
        study(research_slice, space={"num_leaves": 8})
    bad = tmp_path / "space.yaml"
    bad.write_text("learning_rate: {low: 0.1, high: 0.01}\n")
    with pytest.raises(ValueError, match=r"space.yaml: learning_rate: low 0.1 is above high 0.01"):
        load_space(bad, "lightgbm")
    bad.write_text("hidden: [1, 2]\n")
    with pytest.raises(ValueError, match=r"space.yaml: unknown parameter\(s\) for mlp: hidden"):
        load_space(bad, "mlp")
    good = tmp_path / "space.json"
    good.write_text('{"lr": {"low": 0.0001, "high": 0.01, "log": true}, "hidden_size": [8, 16], "epochs": 2}')
    assert load_space(good, "mlp") == {"lr": Range(1e-4, 0.01, log=True), "hidden_size": Choice((8, 16)), "epochs": 2}
    for model in ("lightgbm", "linear", "mlp", "gru", "lstm", "alstm", "transformer"):
        StartStudy("x", StartTraining(model, tiny_config(research_slice)), default_space(model), 1)


def test_cancel_keeps_finished_trials(research_slice: Slice, tmp_path: Path) -> None:
    token = CancelToken()
    seen: list[Any] = []
    with pytest.raises(Cancelled):
        for report in run_study(
            study(research_slice, "c", trials=5),
            research_slice.data_dir,
            token,
            RunRegistry(tmp_path),
            tmp_path / "studies.sqlite",
        ):
            seen.append(report)
            if isinstance(report, TrialFinished) and report.number == 1:
                token.cancel()
    states = [t.state for t in describe("c", tmp_path, tmp_path / "studies.sqlite").trials]
    assert states[:2] == ["complete", "complete"] and len(states) <= 3  # the trial cut short is marked failed
    assert RunRegistry(tmp_path).runs() == []  # nothing registered for a cancelled study
    assert study_names(tmp_path, tmp_path / "studies.sqlite") == ["c"]


def test_two_workers_run_trials_at_once(research_slice: Slice, tmp_path: Path) -> None:
    # Each trial waits at its start until another trial has started too: with one trial at a time the
    # barrier breaks (its timeout) and the trial fails; with two workers both pass.
    barrier = threading.Barrier(2, timeout=60)
    threads: set[str] = set()

    def meet(started: TrialStarted) -> None:
        threads.add(threading.current_thread().name)
        barrier.wait()

    reports = drain(study(research_slice, "w", trials=2, workers=2), research_slice, tmp_path, on_trial_start=meet)
    ended = [r for r in reports if isinstance(r, TrialFinished)]
    assert [r.state for r in ended] == ["complete", "complete"] and len(threads) == 2
    order = [type(r).__name__ for r in reports if isinstance(r, (TrialStarted, TrialFinished))]
    assert order[:2] == ["TrialStarted", "TrialStarted"]
    assert isinstance(reports[-1], StudyFinished)


def test_a_torch_model_searches_its_default_space(research_slice: Slice, tmp_path: Path) -> None:
    fixed = {"epochs": 2, "early_stop": 0}
    training = StartTraining("mlp", tiny_config(research_slice), fixed, device="cpu", seed=1)
    request = StartStudy("m", training, default_space("mlp"), 2, metric="valid_loss")
    reports = drain(request, research_slice, tmp_path)
    ended = [r for r in reports if isinstance(r, TrialFinished)]
    assert [r.state for r in ended] == ["complete", "complete"] and all(r.epochs == 2 for r in ended)
    assert set(ended[0].params) == set(default_space("mlp"))
    done = reports[-1]
    assert isinstance(done, StudyFinished) and done.best_value == min(r.value for r in ended if r.value is not None)
    assert RunRegistry(tmp_path).get(done.run.run_id).config["resolved_params"]["epochs"] == 2
