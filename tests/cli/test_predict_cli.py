"""`qdesk predict`: scores written by extension in the shared spelling; bad input exits 2 with one line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from app.cli import main
from core.research.config import StartTraining
from core.research.training import RunFinished, run_training
from tests.core.research.slices import Slice, build_slice, tiny_config

LGB = {"num_boost_round": 10, "rounds_per_epoch": 10, "early_stop": 0, "num_threads": 1, "num_leaves": 15}


@pytest.fixture(scope="module")
def trained(cn_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Slice, str]:
    s = build_slice(cn_data, tmp_path_factory.mktemp("predict"), count=8, start="2010-06-01", end="2012-01-31")
    request = StartTraining("lightgbm", tiny_config(s, count=8), LGB, device="cpu", seed=1)
    done = [r for r in run_training(request, s.data_dir) if isinstance(r, RunFinished)]
    return s, done[0].run_id


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_predict_writes_scores_by_extension(
    trained: tuple[Slice, str], tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    s, run_id = trained
    out = tmp_path / f"scores{suffix}"
    argv = ["--data-dir", str(s.data_dir), "predict", "--run", run_id, "--start", "2012-01-04", "--out", str(out)]
    assert main(argv) == 0
    frame = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert list(frame.columns) == ["datetime", "instrument", "score"]
    assert frame["datetime"].min() == "2012-01-04" and frame["datetime"].max() == "2012-01-31"
    assert set(frame["instrument"]) == set(s.symbols[:8])
    assert f"run {run_id}: scored {len(frame)} rows" in capsys.readouterr().out


def test_predict_refuses_bad_input(
    trained: tuple[Slice, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s, run_id = trained
    cases = [
        (["predict", "--run", "nope"], "no run 'nope'"),
        (["predict", "--run", run_id, "--out", str(tmp_path / "x.xlsx")], ".csv or .parquet"),
        (["predict", "--run", run_id, "--end", "2012-02-30"], "bad --end"),
    ]
    for argv, message in cases:
        assert main(["--data-dir", str(s.data_dir), *argv]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0]
