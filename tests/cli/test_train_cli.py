"""`python main.py train` and `runs` as a user runs them: real processes on a real CSI300 slice."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.research.registry import RunRegistry
from tests.core.research.slices import TINY_SEGMENTS, Slice

REPO = Path(__file__).resolve().parents[2]


def qdesk(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "QDESK_DATA_DIR"}
    return subprocess.run(
        [sys.executable, str(REPO / "main.py"), "--data-dir", str(data_dir), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture()
def data_dir(research_slice: Slice, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    target.mkdir()
    shutil.copy2(research_slice.data_dir / "market.sqlite", target / "market.sqlite")
    shutil.copytree(research_slice.provider, target / "qlib")  # same store id: the export is up to date
    if (research_slice.data_dir / "cache").exists():  # datasets other tests built on the same export
        shutil.copytree(research_slice.data_dir / "cache", target / "cache")
    return target


@pytest.mark.parametrize("args", [["train"], ["runs"], ["runs", "list"], ["runs", "export"]])
def test_help(tmp_path: Path, args: list[str]) -> None:
    result = qdesk(tmp_path, *args, "--help")
    assert result.returncode == 0 and "usage:" in result.stdout


def test_train_end_to_end_then_list_compare_export_delete(
    data_dir: Path, tmp_path: Path, research_slice: Slice
) -> None:
    universe = ",".join(research_slice.symbols[:20])  # the tiny universe the other tests use
    result = qdesk(
        data_dir,
        "train",
        "--model",
        "lightgbm",
        "--dataset",
        "alpha158",
        "--universe",
        universe,
        "--segments",
        str(TINY_SEGMENTS),
        "--epochs",
        "20",
        "--param",
        "num_leaves=15",
        "--param",
        "lambda_l1=0",
        "--param",
        "lambda_l2=1",
        "--param",
        "num_threads=1",
    )
    assert result.returncode == 0, result.stderr
    run_line, metrics_line = result.stdout.strip().splitlines()[-2:]
    run_id = run_line.split()[1]
    assert run_line == f"run {run_id}" and "IC " in metrics_line and "RANK ICIR" in metrics_line
    assert "epoch   1/2" in result.stderr
    [run] = RunRegistry(data_dir).runs()
    assert run.run_id == run_id and run.config["params"]["num_boost_round"] == 20
    assert run.data_start >= "2011-01-01" and run.data_end <= "2011-12-31"
    predictions = RunRegistry(data_dir).predictions(run_id)
    assert predictions.index.get_level_values("datetime").min().strftime("%Y-%m") == "2011-10"
    assert not list((data_dir / "checkpoints").iterdir())  # a registered run leaves no checkpoint

    listing = qdesk(data_dir, "runs", "list")
    assert run_id in listing.stdout and "lightgbm" in listing.stdout
    assert next(ln for ln in listing.stdout.splitlines() if run_id in ln).endswith("yes")  # it can score new days
    compare = qdesk(data_dir, "runs", "compare", run_id)
    assert "rank_ic" in compare.stdout
    export = qdesk(data_dir, "runs", "export", run_id, str(tmp_path / "out"))
    assert export.returncode == 0 and (tmp_path / "out" / f"{run_id}.zip").exists()
    assert qdesk(data_dir, "runs", "delete", run_id).returncode == 0
    assert RunRegistry(data_dir).runs() == []


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--segments", "2011-01:2011-06,2011-07:2011-09"], "--segments: expected three ranges"),
        (["--segments", "2011-01:2011-06,2011-05:2011-09,2011-10:2011-12"], "valid segment must start after train"),
        (["--universe", "600000.SH,6000"], "--universe"),
        (["--param", "lr"], "--param: bad parameter 'lr'"),
        (["--param", "hiden=3"], "unknown parameter(s) hiden"),
        (["--device", "tpu"], "unknown device 'tpu'"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(data_dir: Path, args: list[str], message: str) -> None:
    result = qdesk(data_dir, "train", "--model", "gru", "--dataset", "alpha360", *args)
    assert result.returncode == 2, result.stderr
    error = [ln for ln in result.stderr.splitlines() if ln.startswith("qdesk: error:")]
    assert len(error) == 1 and message in error[0], result.stderr


def test_unknown_run_and_missing_store(tmp_path: Path) -> None:
    result = qdesk(tmp_path, "runs", "delete", "nope")
    assert result.returncode == 2 and "no run 'nope'" in result.stderr
    result = qdesk(tmp_path / "empty", "train", "--model", "lightgbm")
    assert result.returncode == 2 and "no market store" in result.stderr
