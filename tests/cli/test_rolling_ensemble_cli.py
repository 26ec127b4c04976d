"""`train --rolling` and `ensemble` as a user runs them: real processes on a real CSI300 slice."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from core.research.registry import RunRegistry
from tests.cli.test_train_cli import data_dir, qdesk  # noqa: F401  (the same slice copy and runner)
from tests.core.research.slices import TINY_SEGMENTS, Slice

TINY = ["--epochs", "10", "--seed", "2"] + [
    x for kv in ("num_leaves=15", "lambda_l1=0", "lambda_l2=1", "num_threads=1") for x in ("--param", kv)
]


def _train(data_dir: Path, universe: str, *extra: str) -> str:  # noqa: F811
    result = qdesk(
        data_dir,
        "train",
        "--model",
        "lightgbm",
        "--universe",
        universe,
        "--segments",
        str(TINY_SEGMENTS),
        *TINY,
        *extra,
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip().splitlines()[-2].split()[1]


def test_rolling_and_static_runs_ensemble_and_predict(data_dir: Path, research_slice: Slice, tmp_path: Path) -> None:  # noqa: F811
    universe = ",".join(research_slice.symbols[:20])
    rolling = _train(data_dir, universe, "--rolling", "20d", "--window", "sliding")
    static = _train(data_dir, universe)
    registry = RunRegistry(data_dir)
    windows = registry.get(rolling).config["rolling"]["windows"]
    assert len(windows) == 3 and all(w["valid"][1] < w["test"][0] for w in windows)
    both = [registry.predictions(r) for r in (rolling, static)]
    assert both[0].index.equals(both[1].index)  # the same out-of-sample rows, no gap, no overlap
    result = qdesk(data_dir, "ensemble", rolling, static, "--method", "rank-mean", "--name", "blend")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "run blend" and "RANK IC" in result.stdout
    assert registry.get("blend").config["ensemble"] == {"method": "rank-mean", "members": [rolling, static]}
    out = tmp_path / "scores.csv"
    result = qdesk(
        data_dir, "predict", "--run", "blend", "--start", "2011-12-01", "--end", "2011-12-31", "--out", str(out)
    )
    assert result.returncode == 0, result.stderr
    scores = pd.read_csv(out)
    assert set(scores["datetime"]) <= {str(d)[:10] for d in both[0].index.get_level_values("datetime")}
    assert scores["score"].between(0, 1).all() and len(scores) > 100  # rank-mean: mean of percentiles


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "--model", "lightgbm", "--rolling", "0d"], "--rolling: bad step '0d'"),
        (["train", "--model", "lightgbm", "--rolling", "2w"], "--rolling: bad step '2w'"),
        (["ensemble", "nope", "other"], "no run 'nope'"),
        (["ensemble", "only"], "at least two different member runs"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(data_dir: Path, args: list[str], message: str) -> None:  # noqa: F811
    result = qdesk(data_dir, *args)
    assert result.returncode == 2, result.stderr
    error = [ln for ln in result.stderr.splitlines() if ln.startswith("qdesk: error:")]
    assert len(error) == 1 and message in error[0], result.stderr


def test_members_with_different_universes_are_refused(data_dir: Path, research_slice: Slice) -> None:  # noqa: F811
    a = _train(data_dir, ",".join(research_slice.symbols[:20]))
    b = _train(data_dir, ",".join(research_slice.symbols[:15]))
    result = qdesk(data_dir, "ensemble", a, b)
    assert result.returncode == 2 and "different universes" in result.stderr
    assert len(RunRegistry(data_dir).runs()) == 2
