"""Cancel stops within one batch and keeps the checkpoints; a resumed fit ends where an uninterrupted one does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest

from core.datasets.prepared import PreparedDataset
from core.jobs import Cancelled, CancelToken
from core.models import create_model
from core.models.base import EarlyStopper, EpochFinished, FitFinished, TrainingProgress
from tests.core.research.slices import Slice, dataset_for, tiny_config

GRU = {"epochs": 2, "batch_size": 256, "hidden_size": 8, "num_layers": 1, "lr": 1e-3, "early_stop": 0}
LGB = {
    "num_boost_round": 20,
    "rounds_per_epoch": 10,
    "num_leaves": 15,
    "num_threads": 1,
    "lambda_l1": 0.0,
    "lambda_l2": 1.0,
    "early_stop": 1000,
    "colsample_bytree": 1.0,
}


@pytest.fixture(scope="module")
def alpha360(research_slice: Slice) -> PreparedDataset:
    return dataset_for(research_slice, tiny_config(research_slice, "alpha360"))


@pytest.fixture(scope="module")
def alpha158(research_slice: Slice) -> PreparedDataset:
    return dataset_for(research_slice, tiny_config(research_slice, "alpha158"))


def _cancel_during_epoch(model: Any, dataset: PreparedDataset, ckpt: Path, epoch: int) -> list[Any]:
    """Run until the second batch of `epoch`, cancel, and return what the fit yielded."""
    token = CancelToken()
    seen: list[Any] = []
    with pytest.raises(Cancelled):
        for report in model.fit(dataset, token, ckpt):
            seen.append(report)
            if token.cancelled:
                pytest.fail(f"the fit went on after cancel: {report}")
            if (
                isinstance(report, TrainingProgress)
                and report.epoch == epoch
                and len([r for r in seen if isinstance(r, TrainingProgress) and r.epoch == epoch]) == 2
            ):
                token.cancel()
    return seen


@pytest.mark.parametrize("name", ["gru", "lightgbm"])
def test_cancel_then_resume_matches_an_uninterrupted_fit(
    name: str, alpha360: PreparedDataset, alpha158: PreparedDataset, tmp_path: Path
) -> None:
    dataset, params = (alpha360, GRU) if name == "gru" else (alpha158, LGB)
    straight = create_model(name, params, seed=5, device="cpu")
    list(straight.fit(dataset, None, tmp_path / "straight"))
    expected = straight.predict(dataset, "test")

    ckpt = tmp_path / "interrupted"
    seen = _cancel_during_epoch(create_model(name, params, seed=5, device="cpu"), dataset, ckpt, epoch=2)
    assert [r.epoch for r in seen if isinstance(r, EpochFinished)] == [1]
    assert any(ckpt.iterdir())  # the first epoch's checkpoint (and best weights) stay for a resume

    resumed = create_model(name, params, seed=5, device="cpu")  # a new process would start like this
    reports = list(resumed.fit(dataset, None, ckpt))
    assert [r.epoch for r in reports if isinstance(r, EpochFinished)] == [2]
    assert isinstance(reports[-1], FitFinished) and reports[-1].resumed_from == 1
    np.testing.assert_allclose(resumed.predict(dataset, "test"), expected, rtol=1e-5, atol=1e-6)


def test_cancel_keeps_best_weights_of_finished_epochs(alpha360: PreparedDataset, tmp_path: Path) -> None:
    model = create_model("gru", GRU, seed=1, device="cpu")
    _cancel_during_epoch(model, alpha360, tmp_path, epoch=2)
    assert (tmp_path / "best.pt").exists() and (tmp_path / "last.pt").exists()
    assert not list(tmp_path.glob("*.partial"))


def test_early_stopper_by_loss_and_by_ic() -> None:
    by_loss = EarlyStopper("loss", patience=2)
    flags = [by_loss.update(e, loss, 0.0) for e, loss in enumerate([1.0, 0.9, 0.95, float("nan"), 0.97], 1)]
    assert flags == [True, True, False, False, False] and by_loss.best_epoch == 2
    assert not by_loss.should_stop(3) and by_loss.should_stop(4)
    by_ic = EarlyStopper("ic", patience=0)
    [by_ic.update(e, 1.0, ic) for e, ic in enumerate([0.01, 0.03, 0.02], 1)]
    assert by_ic.best_epoch == 2 and by_ic.best_ic == 0.03 and not by_ic.should_stop(100)
    with pytest.raises(ValueError, match="early-stopping metric"):
        EarlyStopper("sharpe", 1)


def test_early_stopping_ends_the_fit(alpha360: PreparedDataset) -> None:
    # A learning rate far too large makes valid loss worse after the first epoch.
    model = create_model("gru", {**GRU, "epochs": 20, "early_stop": 2, "lr": 0.5, "batch_size": 1024}, device="cpu")
    reports = list(model.fit(alpha360))
    done = reports[-1]
    assert isinstance(done, FitFinished) and done.stopped_early
    assert done.epochs == done.best_epoch + 2 < 20
