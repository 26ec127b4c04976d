"""A small real universe with a tiny LightGBM run, shared by the routine tests."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.core.research.slices import Slice, build_slice, train_tiny_lightgbm


# Few leaves and rounds: many stocks share a leaf, so many days carry tied scores.
@pytest.fixture(scope="session")
def trained(cn_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Slice, str]:
    s = build_slice(cn_data, tmp_path_factory.mktemp("routine"), count=15, start="2010-06-01", end="2012-03-31")
    return s, train_tiny_lightgbm(
        s, count=15, seed=5, num_boost_round=6, rounds_per_epoch=2, num_leaves=4, lambda_l2=0.0, min_data_in_leaf=5
    )
