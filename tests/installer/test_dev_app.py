"""`installer/dev.py app`: Ctrl+C is the app's to handle; the wrapper adds no traceback of its own."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

import pytest

from installer.package import ROOT

# The wrapper, as `installer/dev.py app` runs it, around a child that stands for the app; SIGINT has
# Python's own handler in both, whatever the test runner's terminal did with it.
_DRIVER = """
import signal, sys
from installer.dev import run_app
signal.signal(signal.SIGINT, signal.default_int_handler)
child = sys.argv[1]
sys.exit(run_app([sys.executable, "-c", child], {}))
"""
_APP_HANDLES_IT = (
    "import signal, sys\n"
    "signal.signal(signal.SIGINT, lambda *_: sys.exit(0))  # as the desktop closes its window\n"
    "print('ready', flush=True)\n"
    "signal.pause()\n"
)
_APP_DIES_OF_IT = (
    "import signal\n"
    "signal.signal(signal.SIGINT, signal.SIG_DFL)  # killed by the signal itself\n"
    "print('ready', flush=True)\n"
    "signal.pause()\n"
)


@pytest.mark.skipif(sys.platform == "win32", reason="a terminal's Ctrl+C is SIGINT to the process group on POSIX")
@pytest.mark.parametrize(("child", "expected"), [(_APP_HANDLES_IT, 0), (_APP_DIES_OF_IT, 128 + signal.SIGINT)])
def test_ctrl_c_stops_the_app_with_no_traceback_from_the_wrapper(child: str, expected: int) -> None:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-c", _DRIVER, child],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=True,  # its own process group, as a terminal gives a foreground job
    )
    try:
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"  # the app is up and waiting
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl+C in the terminal does
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert proc.returncode == expected
