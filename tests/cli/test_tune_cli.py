"""`python main.py tune` as a user runs it: real processes, real study storage, a real CSI300 slice."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.research.registry import RunRegistry
from core.research.study_store import describe
from tests.cli.test_train_cli import REPO, data_dir, qdesk  # noqa: F401  (the copied-slice fixture)
from tests.core.research.slices import TINY_SEGMENTS, Slice

SPACE = "learning_rate: {low: 0.01, high: 0.3, log: true}\nnum_leaves: [4, 8, 16]\nlambda_l1: 0.0\n"
FIXED_SPACE = SPACE + "num_boost_round: 30\nrounds_per_epoch: 5\nearly_stop: 0\nnum_threads: 1\n"


def universe(s: Slice, count: int = 20) -> str:
    return ",".join(s.symbols[:count])


def tune_args(s: Slice, space: Path, *extra: str) -> list[str]:
    return [
        "tune",
        "--model",
        "lightgbm",
        "--universe",
        universe(s),
        "--segments",
        str(TINY_SEGMENTS),
        "--space",
        str(space),
        "--study",
        "cli",
        *extra,
    ]


def test_tune_registers_best_then_list_and_show(data_dir: Path, research_slice: Slice, tmp_path: Path) -> None:  # noqa: F811
    space = tmp_path / "space.yaml"
    space.write_text(FIXED_SPACE)
    done = qdesk(data_dir, *tune_args(research_slice, space, "--trials", "3", "--workers", "2"))
    assert done.returncode == 0, done.stderr
    assert done.stderr.count("trial ") >= 3
    run_id = next(line.split()[1] for line in done.stdout.splitlines() if line.startswith("run "))
    run = RunRegistry(data_dir).get(run_id)
    assert run.model == "lightgbm" and run.config["params"]["num_boost_round"] == 30  # the space's fixed values
    info = describe("cli", data_dir)
    assert len(info.trials) == 3 and info.runs[str(info.best.number if info.best else -1)] == run_id

    listed = qdesk(data_dir, "tune", "list")
    assert listed.returncode == 0 and "cli" in listed.stdout and "lightgbm" in listed.stdout
    shown = qdesk(data_dir, "tune", "show", "cli")
    assert shown.returncode == 0, shown.stderr
    assert f"run {run_id}" in shown.stdout and "learning_rate =" in shown.stdout
    assert "parameter importances" in shown.stdout

    other = qdesk(data_dir, *tune_args(research_slice, space, "--trials", "1", "--dataset", "alpha360"))
    assert other.returncode == 2 and "another dataset: kind alpha158 (asked alpha360)" in other.stderr


@pytest.mark.parametrize(
    ("extra", "space_text", "message"),
    [
        (["--trials", "0"], SPACE, "--trials must be at least 1, got 0"),
        (["--trials", "2", "--workers", "0"], SPACE, "--workers must be at least 1"),
        (["--trials", "2"], "num_leafs: [4, 8]\n", "unknown parameter(s) for lightgbm: num_leafs"),
        (["--trials", "2"], "num_leaves: 8\n", "the space is empty"),
        (["--trials", "2"], "num_leaves: {low: 8}\n", "num_leaves: expected {low, high"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    research_slice: Slice, tmp_path: Path, extra: list[str], space_text: str, message: str
) -> None:
    space = tmp_path / "space.yaml"
    space.write_text(space_text)
    done = qdesk(tmp_path, *tune_args(research_slice, space, *extra))
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1


def test_unknown_study(tmp_path: Path) -> None:
    done = qdesk(tmp_path, "tune", "show", "nope")
    assert done.returncode == 2 and "no study named 'nope'" in done.stderr


def test_ctrl_c_keeps_finished_trials(data_dir: Path, research_slice: Slice, tmp_path: Path) -> None:  # noqa: F811
    space = tmp_path / "space.yaml"
    space.write_text(SPACE + "num_boost_round: 400\nrounds_per_epoch: 5\nearly_stop: 0\nnum_threads: 1\n")
    env = {k: v for k, v in os.environ.items() if k != "QDESK_DATA_DIR"}
    args = [sys.executable, str(REPO / "main.py"), "--data-dir", str(data_dir)]
    proc = subprocess.Popen(
        [*args, *tune_args(research_slice, space, "--trials", "50")],
        cwd=REPO,
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stderr is not None
    try:
        for line in proc.stderr:  # interrupt once the first trial has finished
            if line.startswith("trial "):
                proc.send_signal(signal.SIGINT)
                break
        rest = proc.stderr.read()
        assert proc.wait(timeout=120) == 130, rest
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "finished trials are kept in study cli" in rest
    states = [t.state for t in describe("cli", data_dir).trials]
    assert states[0] == "complete" and len(states) < 50
    assert "running" not in states  # the interrupted trial is closed, not left running
    assert RunRegistry(data_dir).runs() == []
