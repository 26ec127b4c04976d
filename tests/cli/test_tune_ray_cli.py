"""`tune --ray-address` against a real local Ray head on loopback, and against addresses that do not answer."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import optuna
import pytest

from core.research.registry import RunRegistry
from core.research.study_store import describe, storage
from tests.cli.test_train_cli import REPO, data_dir, qdesk  # noqa: F401  (the copied-slice fixture)
from tests.cli.test_tune_cli import FIXED_SPACE, SPACE, tune_args
from tests.core.research.ray_head import RayHead
from tests.core.research.slices import Slice


def test_trials_run_as_ray_tasks_and_land_in_the_study(
    data_dir: Path,  # noqa: F811
    research_slice: Slice,
    ray_head: RayHead,
    tmp_path: Path,
) -> None:
    space = tmp_path / "space.yaml"
    space.write_text(FIXED_SPACE)
    args = tune_args(research_slice, space, "--trials", "2", "--ray-address", ray_head.address, "--trial-cpus", "1")
    env = {k: v for k, v in os.environ.items() if k != "QDESK_DATA_DIR"}
    command = [sys.executable, str(REPO / "main.py"), "--data-dir", str(data_dir), *args]
    proc = subprocess.Popen(command, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate(timeout=300)
    assert proc.returncode == 0, err
    assert f"on Ray at {ray_head.address}" in err
    run_id = next(line.split()[1] for line in out.splitlines() if line.startswith("run "))

    info = describe("cli", data_dir)
    assert [t.state for t in info.trials] == ["complete", "complete"]
    assert info.best is not None and info.runs[str(info.best.number)] == run_id
    assert RunRegistry(data_dir).get(run_id).model == "lightgbm"
    # Each trial ran in a Ray worker process, not in the command's own process.
    study = optuna.load_study(study_name="cli", storage=storage(data_dir))
    workers = [t.user_attrs["worker"] for t in study.get_trials()]
    assert len(workers) == 2 and all(w.rsplit(":", 1)[1] != str(proc.pid) for w in workers), (workers, proc.pid)

    # The same study resumes on this machine: the stored trials stay and new ones add to them.
    again = qdesk(data_dir, *tune_args(research_slice, space, "--trials", "1"))
    assert again.returncode == 0, again.stderr
    assert len(describe("cli", data_dir).trials) == 3


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("address", "message"),
    [
        (f"127.0.0.1:{_closed_port()}", "no Ray head answers"),
        (f"ray://127.0.0.1:{_closed_port()}", "no Ray head answers"),
        ("localhost", "expected auto, ray://HOST:PORT or HOST:PORT"),
    ],
)
def test_an_address_that_does_not_answer_is_one_line_and_exit_2(
    research_slice: Slice, tmp_path: Path, address: str, message: str
) -> None:
    space = tmp_path / "space.yaml"
    space.write_text(SPACE)
    args = [sys.executable, str(REPO / "main.py"), "--data-dir", str(tmp_path)]
    args += tune_args(research_slice, space, "--trials", "2", "--ray-address", address)
    # No hang: the command gives up by itself well inside this limit.
    done = subprocess.run(args, cwd=REPO, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    assert message in done.stderr and len(done.stderr.strip().splitlines()) == 1, done.stderr


def test_without_ray_the_message_says_how_to_install_it(
    research_slice: Slice, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from app.cli import main

    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` meets where it is not installed
    space = tmp_path / "space.yaml"
    space.write_text(SPACE)
    args = tune_args(research_slice, space, "--trials", "2", "--ray-address", "auto")
    code = main(["--data-dir", str(tmp_path), *args])
    err = capsys.readouterr().err
    assert code == 2 and "pip install 'qdesk[ray]'" in err and len(err.strip().splitlines()) == 1


def test_trial_resources_need_ray(research_slice: Slice, tmp_path: Path) -> None:
    space = tmp_path / "space.yaml"
    space.write_text(SPACE)
    done = qdesk(tmp_path, *tune_args(research_slice, space, "--trials", "1", "--trial-gpus", "0.5"))
    assert done.returncode == 2 and "apply to Ray trials; add --ray-address" in done.stderr
    args = tune_args(research_slice, space, "--trials", "1", "--ray-address", "auto", "--trial-cpus", "0")
    bad = qdesk(tmp_path, *args)
    assert bad.returncode == 2 and "--trial-cpus must be positive, got 0" in bad.stderr
