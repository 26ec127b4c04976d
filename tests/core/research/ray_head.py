"""A real local Ray head for tests: started in a child process on loopback, stopped when the test is done."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

# The child owns the cluster: it prints the head's address, then holds it until its stdin closes.
_HEAD = """
import sys, ray
ctx = ray.init(num_cpus=int(sys.argv[2]), include_dashboard=False, _node_ip_address="127.0.0.1", _temp_dir=sys.argv[1],
               configure_logging=False, log_to_driver=False)
print(ctx.address_info["gcs_address"], flush=True)
sys.stdin.read()
ray.shutdown()
"""


@dataclass(frozen=True)
class RayHead:
    address: str
    process: subprocess.Popen[str]


@pytest.fixture(scope="session")
def ray_head() -> Iterator[RayHead]:
    """One head for the whole run: starting one costs ~30 s, and the study and search tests both use it."""
    with local_ray_head() as head:
        yield head


@contextmanager
def local_ray_head(cpus: int = 2) -> Iterator[RayHead]:
    """A Ray head with `cpus` CPUs in a child process; closed (its stdin) when the block ends."""
    # Ray's socket paths must stay short (a Unix socket path is at most 107 bytes): not pytest's tmp_path.
    temp = Path(tempfile.mkdtemp(prefix="qr", dir="/tmp"))
    # A throwaway head on loopback: no token (Ray would otherwise share one through ~/.ray); the commands the
    # test starts inherit the setting while the head lives.
    before = os.environ.get("RAY_AUTH_MODE")
    os.environ["RAY_AUTH_MODE"] = "disabled"
    proc = subprocess.Popen(
        [sys.executable, "-c", _HEAD, str(temp), str(cpus)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert proc.stdout is not None and proc.stdin is not None
    address = proc.stdout.readline().strip()
    try:
        assert address, "the Ray head did not start"
        yield RayHead(address, proc)
    finally:
        proc.stdin.close()
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        shutil.rmtree(temp, ignore_errors=True)
        if before is None:
            os.environ.pop("RAY_AUTH_MODE", None)
        else:
            os.environ["RAY_AUTH_MODE"] = before
