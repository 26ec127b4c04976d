"""The packaged launchers: spawned workers run their task, and the bridge goes headless without a display."""

from __future__ import annotations

import importlib.util
import multiprocessing.spawn
import os
import subprocess
import sys
import threading
from pathlib import Path
from types import ModuleType

import pytest

from app.display import NO_TRAY_NOTICE, can_show_tray
from installer.package import ROOT

LAUNCHERS = ROOT / "installer" / "launchers"


def _load(path: Path, name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def workers() -> ModuleType:
    return _load(LAUNCHERS / "qdesk" / "workers.py", "qdesk_launcher_workers")


def test_multiprocessing_spawn_command_lines_are_recognised(workers: ModuleType) -> None:
    # The exact command line this Python's multiprocessing gives a spawned child, interpreter flags included.
    spawn = multiprocessing.spawn.get_command_line(tracker_fd=5, pipe_handle=7)
    assert spawn[-1] == "--multiprocessing-fork"
    assert workers.is_worker_command(spawn[1:])
    assert workers.is_worker_command(["-P", "-X", "utf8", *spawn[spawn.index("-c") :]])
    forkserver = ["-c", "from multiprocessing.forkserver import main; main(8, 9, ['__main__'])"]
    assert workers.is_worker_command(forkserver)


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["data", "import", "-c", "from multiprocessing.spawn import spawn_main"],  # an app argument, not a flag
        ["-c", "print('hello')"],  # only multiprocessing's own bootstrap is run
        ["--demo", "--screenshot", "out.png"],
        ["-c"],
    ],
)
def test_app_command_lines_are_not_worker_commands(workers: ModuleType, argv: list[str]) -> None:
    assert not workers.is_worker_command(argv)


def test_a_worker_runs_with_python_c_argv_and_returns_its_exit_code(workers: ModuleType) -> None:
    saved = sys.argv
    try:
        code = "import sys; sys.exit(len(sys.argv) * 10 + (sys.argv[0] == '-c'))"
        assert workers.run_worker(["-P", "-c", code, "--multiprocessing-fork"]) == 21
        assert workers.run_worker(["-c", "x = 1"]) == 0
    finally:
        sys.argv = saved
    with pytest.raises(ValueError, match="not a multiprocessing worker"):
        workers.run_worker(["data", "status"])


@pytest.fixture(scope="module")
def bridge_launcher() -> ModuleType:
    # Imports app.cli, as the packaged launcher does; nothing of Qt is loaded by that.
    return _load(LAUNCHERS / "qdesk_bridge" / "__main__.py", "qdesk_bridge_launcher")


@pytest.mark.parametrize(
    ("platform", "environ", "expected"),
    [
        ("win32", {}, True),
        ("darwin", {}, True),
        ("linux", {}, False),
        ("linux", {"DISPLAY": ":0"}, True),
        ("linux", {"WAYLAND_DISPLAY": "wayland-0"}, True),
        ("linux", {"DISPLAY": ":0", "QT_QPA_PLATFORM": "offscreen"}, False),
        ("linux", {"DISPLAY": ""}, False),
    ],
)
def test_a_tray_needs_a_display_on_linux_only(platform: str, environ: dict[str, str], expected: bool) -> None:
    assert can_show_tray(platform, environ) is expected


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="a display-less box is a Linux case")
@pytest.mark.parametrize(
    "command",
    [["-m", "qdesk_bridge"], [str(ROOT / "main.py"), "bridge", "--tray"]],
    ids=["packaged launcher", "qdesk bridge --tray"],
)
def test_the_bridge_serves_headless_without_a_display(tmp_path: Path, command: list[str]) -> None:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(
        PYTHONPATH=os.pathsep.join([str(LAUNCHERS), str(ROOT)]),
        QDESK_CONFIG_DIR=str(tmp_path / "config"),
        QDESK_DATA_DIR=str(tmp_path / "data"),
    )
    proc = subprocess.Popen(
        [sys.executable, *command, "--source", "sim", "--symbols", "5", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=tmp_path,
    )
    watchdog = threading.Timer(120, proc.kill)  # a bridge that never prints its address fails, not hangs
    watchdog.start()
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
    finally:
        watchdog.cancel()
        proc.terminate()
        _, err = proc.communicate(timeout=60)
    # The headless server's own start line (the tray prints none), after a one-line notice.
    assert " source on http://127.0.0.1:" in first, err
    assert "sim source" in first
    assert err.splitlines()[0] == NO_TRAY_NOTICE
