"""DoubleEnsemble on a tiny real slice: features selected by shuffling, samples re-weighted, trained as a run."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.datasets.prepared import PreparedDataset
from core.models import create_model
from core.models.double_ensemble import DoubleEnsembleModel
from core.research.config import StartTraining
from core.research.registry import RunRegistry
from core.research.scoring import Scores, score_days
from core.research.training import RunFinished, run_training
from tests.core.research.slices import Slice, dataset_for, tiny_config

TINY: dict[str, Any] = {
    "num_models": 3,
    "num_boost_round": 8,
    "num_leaves": 15,
    "num_threads": 1,
    "lambda_l1": 0.0,
    "lambda_l2": 1.0,
    "fs_rows": 800,
}


@pytest.fixture(scope="module")
def dataset(research_slice: Slice) -> PreparedDataset:
    return dataset_for(research_slice, tiny_config(research_slice))


def _fit(params: dict[str, Any], dataset: PreparedDataset, seed: int = 0) -> DoubleEnsembleModel:
    model = create_model("double_ensemble", params, seed=seed)
    assert isinstance(model, DoubleEnsembleModel)
    for _ in model.fit(dataset):
        pass
    return model


def test_later_sub_models_learn_on_selected_features(dataset: PreparedDataset) -> None:
    model = _fit(TINY, dataset)
    n = dataset.n_features
    assert model.features[0] == list(range(n))
    bins = np.array_split(np.arange(n), 5)
    expected = sum(int(np.ceil(r * len(b))) for r, b in zip([0.8, 0.7, 0.6, 0.5, 0.4], bins, strict=True))
    for feats in model.features[1:]:
        assert len(feats) == expected and set(feats) < set(range(n)) and feats == sorted(set(feats))
    assert model.features[1] != model.features[2]  # re-selected after each sub-model
    plain = _fit({**TINY, "enable_fs": False}, dataset)
    assert all(f == list(range(n)) for f in plain.features)
    again = _fit(TINY, dataset)
    np.testing.assert_array_equal(again.predict(dataset), model.predict(dataset))  # same seed, same model


def test_sample_weights_fall_on_well_fitted_and_on_noisy_samples(dataset: PreparedDataset) -> None:
    model = DoubleEnsembleModel({"bins_sr": 4})
    rows = dataset.rows("train", labelled=True)
    y = dataset.label[rows].astype("float64")
    loss = (y - y.mean()) ** 2  # a real spread of losses
    start = np.ones(len(y))
    end = np.linspace(0.2, 1.0, len(y))  # later samples: loss hardly fell while boosting
    weights = model._reweight(loss, start, end, k=1)
    easy_noisy = int(np.argmin(loss - end * loss.max()))
    hard_learnt = int(np.argmax(loss - end * loss.max()))
    assert weights[easy_noisy] < weights[hard_learnt]
    assert len(np.unique(weights)) == 4  # one weight per bin
    later = model._reweight(loss, start, end, k=4)  # the penalty fades as sub-models accumulate
    assert later.max() / later.min() < weights.max() / weights.min()
    without = _fit({**TINY, "num_models": 2, "enable_sr": False, "enable_fs": False}, dataset)
    with_sr = _fit({**TINY, "num_models": 2, "enable_fs": False}, dataset)
    assert not np.allclose(without.predict(dataset), with_sr.predict(dataset))


def test_trains_as_a_run_and_scores_new_days(research_slice: Slice, tmp_path: Path) -> None:
    s = research_slice
    request = StartTraining("double_ensemble", tiny_config(s), {**TINY, "num_models": 2}, device="cpu", seed=5)
    registry = RunRegistry(tmp_path)
    [done] = [r for r in run_training(request, s.data_dir, registry=registry) if isinstance(r, RunFinished)]
    assert done.record.model == "double_ensemble" and np.isfinite(done.metrics["ic"])
    *_, scored = score_days(s.data_dir, done.run_id, "2011-12-01", "2011-12-31", registry=registry)
    assert isinstance(scored, Scores)
    stored = registry.predictions(done.run_id)
    december = stored[stored.index.get_level_values("datetime") >= "2011-12-01"]["score"]
    got = scored.frame.assign(instrument=[f"{x[-2:]}{x[:6]}" for x in scored.frame["instrument"]])
    got = got.set_index(["datetime", "instrument"])["score"].sort_index()
    assert got.index.equals(december.index)
    np.testing.assert_allclose(got.to_numpy(), december.to_numpy(), rtol=0, atol=1e-6)
