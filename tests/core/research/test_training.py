"""The training job end to end on the real slice: export, dataset, fit, score, register; cancel then resume."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.jobs import Cancelled, CancelToken
from core.models.base import EpochFinished, FitFinished
from core.research.config import StartTraining
from core.research.registry import RunRegistry
from core.research.training import CHECKPOINTS_DIR, RunFinished, StageProgress, run_training
from tests.core.research.slices import Slice, tiny_config

PARAMS = {"epochs": 2, "batch_size": 256, "hidden_size": 8, "num_layers": 1, "lr": 1e-3, "early_stop": 0}


def test_cancelled_run_resumes_and_registers(research_slice: Slice, tmp_path: Path) -> None:
    s = research_slice
    request = StartTraining("gru", tiny_config(s, "alpha360"), PARAMS, device="cpu", seed=2)
    registry = RunRegistry(tmp_path)
    token = CancelToken()
    ckpt = s.data_dir / CHECKPOINTS_DIR
    others = set(ckpt.iterdir()) if ckpt.exists() else set()  # the slice is shared: other tests' checkpoints
    stages = set()
    with pytest.raises(Cancelled):
        for report in run_training(request, s.data_dir, token, registry):
            if isinstance(report, StageProgress):
                stages.add(report.stage)
            if isinstance(report, EpochFinished) and report.epoch == 1:
                token.cancel()
    assert "dataset" in stages and registry.runs() == []
    mine = set(ckpt.iterdir()) - others
    assert mine

    reports = list(run_training(request, s.data_dir, None, registry))
    fit = next(r for r in reports if isinstance(r, FitFinished))
    assert fit.resumed_from == 1 and fit.epochs == 2
    done = reports[-1]
    assert isinstance(done, RunFinished)
    assert set(done.metrics) >= {"ic", "icir", "rank_ic", "rank_icir"} and np.isfinite(done.metrics["ic"])
    run = registry.get(done.run_id)
    assert run.config["model"] == "gru" and run.config["resolved_params"]["hidden_size"] == 8
    assert run.device == "cpu" and run.epochs == 2
    predictions = registry.predictions(done.run_id)
    assert len(predictions) == len(predictions.dropna(subset=["score"])) > 0
    assert not mine & set(ckpt.iterdir())  # the registered run's checkpoint is gone


def test_bad_requests_fail_before_any_work(research_slice: Slice, tmp_path: Path) -> None:
    config = tiny_config(research_slice)
    with pytest.raises(ValueError, match="unknown parameter"):
        next(run_training(StartTraining("mlp", config, {"layers": 3}), research_slice.data_dir))
    with pytest.raises(ValueError, match="no market store"):
        next(run_training(StartTraining("mlp", config), tmp_path))
    import torch

    if not torch.cuda.is_available():
        with pytest.raises(ValueError, match="CUDA is not available"):
            next(run_training(StartTraining("mlp", config, device="cuda"), research_slice.data_dir))
