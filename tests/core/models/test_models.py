"""Every model of the zoo on a tiny real slice: fits, predicts finite scores, saves/loads, is deterministic."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.datasets.prepared import PreparedDataset
from core.models import MODEL_NAMES, create_model, load_model
from core.models.base import EpochFinished, FitFinished, TrainingProgress
from tests.core.research.slices import Slice, dataset_for, tiny_config

SEQUENCE = ("gru", "lstm", "alstm", "transformer")
TINY: dict[str, dict[str, Any]] = {
    "lightgbm": {
        "num_boost_round": 20,
        "rounds_per_epoch": 10,
        "num_leaves": 15,
        "num_threads": 1,
        "lambda_l1": 0.0,
        "lambda_l2": 1.0,
    },
    "double_ensemble": {
        "num_models": 2,
        "num_boost_round": 8,
        "num_leaves": 15,
        "num_threads": 1,
        "lambda_l1": 0.0,
        "lambda_l2": 1.0,
        "fs_rows": 500,
    },
    "linear": {"epochs": 2, "batch_size": 256, "lr": 1e-3},
    "mlp": {"epochs": 2, "batch_size": 256, "hidden_size": 16, "lr": 1e-3},
    "gru": {"epochs": 2, "batch_size": 256, "hidden_size": 8, "num_layers": 1, "lr": 1e-3},
    "lstm": {"epochs": 2, "batch_size": 256, "hidden_size": 8, "num_layers": 1, "lr": 1e-3},
    "alstm": {"epochs": 2, "batch_size": 256, "hidden_size": 8, "num_layers": 1, "lr": 1e-3},
    "transformer": {"epochs": 2, "batch_size": 256, "d_model": 8, "num_layers": 1, "lr": 1e-3},
}


@pytest.fixture(scope="module")
def tiny(research_slice: Slice) -> dict[str, PreparedDataset]:
    return {kind: dataset_for(research_slice, tiny_config(research_slice, kind)) for kind in ("alpha158", "alpha360")}


def _fit(model: Any, dataset: PreparedDataset, ckpt: Path | None = None) -> list[Any]:
    return list(model.fit(dataset, None, ckpt))


@pytest.mark.parametrize("name", MODEL_NAMES)
def test_model_fits_predicts_saves_and_loads(name: str, tiny: dict[str, PreparedDataset], tmp_path: Path) -> None:
    dataset = tiny["alpha360" if name in SEQUENCE else "alpha158"]
    model = create_model(name, TINY[name], seed=3, device="cpu")
    reports = _fit(model, dataset, tmp_path / "ckpt")
    epochs = [r for r in reports if isinstance(r, EpochFinished)]
    assert [e.epoch for e in epochs] == [1, 2]
    assert all(np.isfinite([e.train_loss, e.valid_loss, e.valid_ic]).all() for e in epochs)
    progress = [r for r in reports if isinstance(r, TrainingProgress)]
    assert progress[-1].done == progress[-1].total
    assert isinstance(reports[-1], FitFinished) and reports[-1].best_epoch in (1, 2)
    scores = model.predict(dataset, "test")
    assert scores.shape == (len(dataset.rows("test")),) and np.isfinite(scores).all()
    assert scores.std() > 0
    loaded = load_model(model.save(tmp_path / "model.bin"), device="cpu")
    np.testing.assert_allclose(loaded.predict(dataset, "test"), scores, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("name", ["gru", "lightgbm"])
def test_same_seed_same_predictions(name: str, tiny: dict[str, PreparedDataset]) -> None:
    dataset = tiny["alpha360" if name == "gru" else "alpha158"]
    params = {**TINY[name], "epochs": 1} if name == "gru" else {**TINY[name], "colsample_bytree": 0.5}
    runs = []
    for seed in (7, 7, 8):
        model = create_model(name, params, seed=seed, device="cpu")
        _fit(model, dataset)
        runs.append(model.predict(dataset, "test"))
    np.testing.assert_array_equal(runs[0], runs[1])
    assert not np.array_equal(runs[0], runs[2])


def test_gru_on_alpha158_uses_windows_of_previous_rows(tiny: dict[str, PreparedDataset]) -> None:
    dataset = tiny["alpha158"]
    model = create_model("gru", {**TINY["gru"], "epochs": 1, "step_len": 5}, device="cpu")
    _fit(model, dataset)
    assert model.layout.kind == "window" and model.layout.d_feat == 158  # type: ignore[attr-defined]
    windows = model.layout.windows(dataset)  # type: ignore[attr-defined]
    row = dataset.rows("test")[-1]
    same = dataset.instrument_codes[windows[row]]
    assert (same == dataset.instrument_codes[row]).all()
    assert np.all(np.diff(dataset.dates[windows[row]]) > np.timedelta64(0))
    assert np.isfinite(model.predict(dataset, "test")).all()


def test_unknown_parameter_and_model_are_refused() -> None:
    with pytest.raises(ValueError, match="unknown parameter.*hiden_size"):
        create_model("gru", {"hiden_size": 8})
    with pytest.raises(ValueError, match="unknown model 'xgboost'"):
        create_model("xgboost")
