"""A small real universe with a tiny LightGBM run, shared by the routine tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.research.config import StartTraining
from core.research.training import RunFinished, run_training
from tests.core.research.slices import Slice, build_slice, tiny_config

# Few leaves and rounds: many stocks share a leaf, so many days carry tied scores.
LGB = {
    "num_boost_round": 6,
    "rounds_per_epoch": 2,
    "early_stop": 0,
    "num_threads": 1,
    "num_leaves": 4,
    "lambda_l1": 0.0,
    "lambda_l2": 0.0,
    "min_data_in_leaf": 5,
}


@pytest.fixture(scope="session")
def trained(cn_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Slice, str]:
    s = build_slice(cn_data, tmp_path_factory.mktemp("routine"), count=15, start="2010-06-01", end="2012-03-31")
    request = StartTraining("lightgbm", tiny_config(s, count=15), LGB, device="cpu", seed=5)
    done = [r for r in run_training(request, s.data_dir) if isinstance(r, RunFinished)]
    return s, done[0].run_id
