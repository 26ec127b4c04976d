"""Run registry: real SQLite in a temp folder, predictions round-trip, compare, delete, export."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.research.registry import RunRegistry, UnknownRun, new_run_id


def _predictions() -> pd.DataFrame:
    index = pd.MultiIndex.from_product(
        [pd.date_range("2020-01-02", periods=3), ["SH600000", "SZ000001"]], names=["datetime", "instrument"]
    )
    return pd.DataFrame({"score": np.arange(6, dtype=np.float32) / 10, "label": np.ones(6)}, index=index)


def _record(reg: RunRegistry, model: str = "lightgbm", ic: float = 0.05) -> str:
    run_id = new_run_id(model)
    folder = reg.run_dir(run_id)
    folder.mkdir(parents=True)
    (folder / "model.txt").write_text("model")
    config = {"model": model, "dataset": {"kind": "alpha158", "universe": "csi300", "segments": "x"}}
    reg.record(
        run_id,
        config,
        {"ic": ic, "icir": 0.4, "rank_ic": 0.06, "rank_icir": 0.5},
        _predictions(),
        folder / "model.txt",
        ("2008-01-01", "2020-12-31"),
        epochs=3,
        best_epoch=2,
        train_seconds=1.5,
    )
    return run_id


def test_round_trip_survives_reopen(tmp_path: Path) -> None:
    run_id = _record(RunRegistry(tmp_path))
    reg = RunRegistry(tmp_path)
    [run] = reg.runs()
    assert run.run_id == run_id and run.model == "lightgbm" and run.universe == "csi300"
    assert run.metrics["ic"] == pytest.approx(0.05) and run.best_epoch == 2
    assert run.config["dataset"]["kind"] == "alpha158"
    preds = reg.predictions(run_id)
    assert list(preds.index.names) == ["datetime", "instrument"]
    pd.testing.assert_frame_equal(preds, _predictions())
    assert reg.model_path(run_id).read_text() == "model"
    assert json.loads((reg.run_dir(run_id) / "run.json").read_text())["run_id"] == run_id


def test_compare_delete_export(tmp_path: Path) -> None:
    reg = RunRegistry(tmp_path)
    a, b = _record(reg, "lightgbm", 0.05), _record(reg, "gru", 0.03)
    rows = reg.compare([a, b])
    assert [r["model"] for r in rows] == ["lightgbm", "gru"] and rows[1]["ic"] == pytest.approx(0.03)
    target = reg.export(a, tmp_path / "out")
    with zipfile.ZipFile(target) as zf:
        names = set(zf.namelist())
    assert {f"{a}/run.json", f"{a}/model.txt", f"{a}/predictions.parquet"} <= names
    reg.delete(a)
    assert [r.run_id for r in reg.runs()] == [b]
    assert not reg.run_dir(a).exists()
    with pytest.raises(UnknownRun, match="no run"):
        reg.predictions(a)


def test_bad_predictions_refused_and_nothing_registered(tmp_path: Path) -> None:
    reg = RunRegistry(tmp_path)
    bad = _predictions().rename(columns={"score": "value"})
    with pytest.raises(ValueError, match="score"):
        reg.record("r1", {"model": "x"}, {}, bad, tmp_path / "m", ("a", "b"))
    assert reg.runs() == []


def test_sweep_removes_folders_without_rows(tmp_path: Path) -> None:
    reg = RunRegistry(tmp_path)
    kept = _record(reg)
    (reg.runs_dir / "crashed").mkdir()
    assert reg.sweep() == ["crashed"]
    assert reg.run_dir(kept).exists()
    with pytest.raises(ValueError):
        reg.run_dir("../x")


def test_opening_creates_nothing_until_a_run_is_recorded(tmp_path: Path) -> None:
    reg = RunRegistry(tmp_path / "fresh")
    assert reg.runs() == [] and not (tmp_path / "fresh").exists()
    with pytest.raises(UnknownRun):
        reg.get("x")
    _record(reg)
    assert (tmp_path / "fresh" / "research.sqlite").exists()


def test_recorded_and_deleted_runs_are_published_as_facts(tmp_path: Path) -> None:
    from core.events import EventBus, RunDeleted, RunRegistered

    bus = EventBus()
    heard: list[object] = []
    bus.subscribe(heard.append)
    reg = RunRegistry(tmp_path, bus)
    run_id = _record(reg, "mlp")
    assert heard == [RunRegistered(run_id, "mlp")]
    with pytest.raises(ValueError, match="score"):  # a refused run is no fact
        reg.record("r1", {"model": "x"}, {}, _predictions().rename(columns={"score": "v"}), tmp_path / "m", ("a", "b"))
    with pytest.raises(UnknownRun):
        reg.delete("no-such-run")
    reg.delete(run_id)
    assert heard == [RunRegistered(run_id, "mlp"), RunDeleted(run_id)]
