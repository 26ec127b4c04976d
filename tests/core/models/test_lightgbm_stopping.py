"""LightGBM stops at its real best round, as LightGBM's own early stopping does; a model that cannot rank is refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.datasets.metrics import prediction_problem
from core.datasets.prepared import PreparedDataset
from core.models import create_model
from core.models.base import FitFinished
from core.research.config import StartTraining
from core.research.registry import RunRegistry
from core.research.training import DegeneratePredictions, run_training
from tests.core.research.slices import Slice, dataset_for, research_slice, tiny_config  # noqa: F401, F811

PARAMS = {
    "num_boost_round": 300,
    "rounds_per_epoch": 10,
    "early_stop": 15,
    "learning_rate": 0.3,
    "num_leaves": 31,
    "num_threads": 1,
    "lambda_l1": 0.0,
    "lambda_l2": 1.0,
}


@pytest.fixture(scope="module")
def tiny158(research_slice: Slice) -> PreparedDataset:  # noqa: F811
    return dataset_for(research_slice, tiny_config(research_slice, "alpha158"))


def test_best_iteration_is_lightgbms_own(tiny158: PreparedDataset) -> None:
    import lightgbm as lgb

    model = create_model("lightgbm", PARAMS, seed=1)
    reports = list(model.fit(tiny158))
    assert isinstance(reports[-1], FitFinished) and reports[-1].stopped_early
    # The reference: lgb.train with early_stopping on the same data, parameters and seed.
    tr, va = tiny158.rows("train", labelled=True), tiny158.rows("valid", labelled=True)
    params = model._lgb_params()  # noqa: SLF001  (the exact parameters the model boosts with)
    dtrain = lgb.Dataset(tiny158.features[tr], tiny158.label[tr], params={"verbosity": -1}, free_raw_data=False)
    dvalid = lgb.Dataset(tiny158.features[va], tiny158.label[va], reference=dtrain, params={"verbosity": -1})
    ref = lgb.train(
        params,
        dtrain,
        num_boost_round=300,
        valid_sets=[dvalid],
        callbacks=[lgb.early_stopping(15, verbose=False)],
    )
    assert model.best_iteration == ref.best_iteration and ref.best_iteration % 10  # not a block boundary
    rows = tiny158.rows("test")
    expected = ref.predict(tiny158.features[rows], num_iteration=ref.best_iteration)
    np.testing.assert_allclose(model.predict(tiny158, "test"), expected, rtol=1e-6, atol=1e-9)


def test_constant_and_flat_predictions_say_what_to_change() -> None:
    starts = np.array([0, 3])
    params = {"lambda_l1": 205.7, "lambda_l2": 581.0, "min_data_in_leaf": 20}
    flat = prediction_problem(np.full(6, 0.01), starts, "lightgbm", params)
    assert flat is not None and "every prediction is the same value" in flat and "lambda_l1 (now 205.7)" in flat
    by_day = prediction_problem(np.array([1.0, 1, 1, 2, 2, 2]), starts, "mlp", {})
    assert by_day is not None and "never differ within a day" in by_day and "learning rate" in by_day
    bad = prediction_problem(np.array([1.0, np.nan, 1, 2, 3, 2]), starts, "mlp", {})
    assert bad is not None and "1 of 6 predictions are not finite" in bad
    assert prediction_problem(np.array([1.0, 2, 1, 2, 3, 2]), starts, "mlp", {}) is None


def test_qlibs_regularisation_on_a_tiny_universe_is_refused_with_advice(
    research_slice: Slice,  # noqa: F811
    tmp_path: Path,
) -> None:
    # Qlib's benchmark LightGBM (lambda_l1 205.7, lambda_l2 581.0) finds no split on 20 stocks x 6 months.
    request = StartTraining("lightgbm", tiny_config(research_slice), {"num_boost_round": 20, "num_threads": 1}, seed=0)
    registry = RunRegistry(tmp_path / "runs")
    with pytest.raises(DegeneratePredictions, match=r"lightgbm test predictions: every prediction .* lower lambda_l1"):
        list(run_training(request, research_slice.data_dir, None, registry))
    assert registry.runs() == []
