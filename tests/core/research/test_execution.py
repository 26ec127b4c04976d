"""The execution layer's choices and bad input: threads here by default, Ray addresses checked before connecting."""

from __future__ import annotations

import socket
import threading

import pytest

from core.research.execution import (
    LocalExecutor,
    RayOptions,
    RayUnavailable,
    check_reachable,
    host_port,
    make_executor,
)


def test_local_tasks_share_the_object_and_run_at_once() -> None:
    executor = make_executor(2)
    assert isinstance(executor, LocalExecutor) and not executor.remote and executor.slots == 2
    data = [1, 2, 3]
    assert executor.share(data) is data  # threads see the same arrays: nothing is copied
    barrier = threading.Barrier(2, timeout=30)  # breaks unless both tasks run at the same time

    def task(shared: list[int], k: int) -> int:
        barrier.wait()
        return sum(shared) * k

    futures = [executor.submit(task, data, k) for k in (1, 2)]
    assert [f.result(timeout=60) for f in futures] == [6, 12]
    executor.close()


@pytest.mark.parametrize(
    ("address", "endpoint"),
    [("auto", None), ("ray://10.0.0.5:10001", ("10.0.0.5", 10001)), ("head.lan:6379", ("head.lan", 6379))],
)
def test_addresses(address: str, endpoint: tuple[str, int] | None) -> None:
    assert host_port(address) == endpoint


@pytest.mark.parametrize("address", ["head.lan", "ray://head.lan", ":6379", "head.lan:port"])
def test_an_address_without_host_and_port_is_refused(address: str) -> None:
    with pytest.raises(ValueError, match="expected auto, ray://HOST:PORT or HOST:PORT"):
        host_port(address)


def test_bad_trial_resources_are_named() -> None:
    with pytest.raises(ValueError, match="--trial-cpus must be positive, got -1"):
        RayOptions("auto", cpus=-1)
    with pytest.raises(ValueError, match="--trial-gpus must be 0 or more, got -0.5"):
        RayOptions("auto", gpus=-0.5)
    with pytest.raises(ValueError, match="empty address"):
        RayOptions(" ")


def test_a_port_nobody_listens_on_fails_at_once_and_a_listening_one_passes() -> None:
    with socket.socket() as listening:
        listening.bind(("127.0.0.1", 0))
        listening.listen()
        port = listening.getsockname()[1]
        check_reachable(f"127.0.0.1:{port}")
    # The same port, now closed: refused without Ray's minutes of retries.
    with pytest.raises(RayUnavailable, match=f"127.0.0.1:{port}: no Ray head answers"):
        check_reachable(f"ray://127.0.0.1:{port}", timeout_s=5)
