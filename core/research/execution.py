"""Where research tasks run: threads of this process (the default) or Ray tasks on the user's cluster.

Studies (and later factor searches and rolling retrains) hand a pure function and its arguments to an
`Executor`; they never know which one runs it. Large inputs go through `share` once (Ray's object store,
or the same object in-process) instead of being pickled into every task. A task calls back into this
process (a trial asking the study's pruner) through `callback`: the function itself here, a relay on Ray.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from core.research.relay import ANSWER_TIMEOUT_S, RelayServer, RemoteCall

log = logging.getLogger(__name__)

RAY_INSTALL = "--ray-address needs Ray: pip install 'qdesk[ray]' (or: pip install ray==2.60.0)"
CONNECT_TIMEOUT_S = 5.0  # a Ray head that does not accept a TCP connection in this long is not there
INIT_TIMEOUT_S = 60.0  # a head that accepts but never finishes the handshake (not Ray, or wedged)


class Executor(Protocol):
    """Runs `fn(*args)` somewhere and returns a Future; `slots` tasks run at once."""

    slots: int
    remote: bool  # True when tasks run in other processes (on other machines)

    def share(self, value: Any) -> Any: ...

    def callback(self, fn: Callable[..., Any], default: Any) -> AbstractContextManager[Callable[..., Any]]:
        """A callable to hand to a task: it runs `fn` here and returns its result, or `default` where this
        process does not answer in time; usable until the block ends."""
        ...

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]: ...

    def cancel(self, future: Future[Any]) -> None: ...

    def close(self) -> None: ...


class LocalExecutor:
    """Threads of this process: shared values are the objects themselves, not copies."""

    remote = False

    def __init__(self, workers: int) -> None:
        self.slots = workers
        self._pool = ThreadPoolExecutor(workers, thread_name_prefix="task")

    def share(self, value: Any) -> Any:
        return value

    @contextmanager
    def callback(self, fn: Callable[..., Any], default: Any) -> Iterator[Callable[..., Any]]:
        yield fn  # a thread of this process calls it directly

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        return self._pool.submit(fn, *args)

    def cancel(self, future: Future[Any]) -> None:
        future.cancel()  # a running task stops through the CancelToken it was given

    def close(self) -> None:
        self._pool.shutdown(wait=True)


@dataclass(frozen=True, slots=True)
class RayOptions:
    """Where the cluster is and what one task reserves on it."""

    address: str  # auto | ray://HOST:PORT | HOST:PORT
    cpus: float = 1.0
    gpus: float = 0.0
    slots: int | None = None  # tasks in flight at once; default: the cluster's CPUs // cpus

    def __post_init__(self) -> None:
        if not self.address.strip():
            raise ValueError("--ray-address: empty address; use auto, ray://HOST:PORT or HOST:PORT")
        if self.cpus <= 0:
            raise ValueError(f"--trial-cpus must be positive, got {self.cpus:g}")
        if self.gpus < 0:
            raise ValueError(f"--trial-gpus must be 0 or more, got {self.gpus:g}")


class RayUnavailable(ConnectionError):
    """The cluster at the address did not answer; the message is one line for the user."""


def import_ray() -> Any:
    try:
        import ray
    except ImportError:
        raise RuntimeError(RAY_INSTALL) from None
    return ray


def host_port(address: str) -> tuple[str, int] | None:
    """The TCP endpoint of an explicit address (None for `auto`); ValueError when it has no port."""
    if address == "auto":
        return None
    rest = address.removeprefix("ray://")
    host, _, port = rest.rpartition(":")
    if not host or not port.isdigit():
        raise ValueError(f"--ray-address {address!r}: expected auto, ray://HOST:PORT or HOST:PORT")
    return host, int(port)


def check_reachable(address: str, timeout_s: float = CONNECT_TIMEOUT_S) -> None:
    """RayUnavailable at once when nothing listens at the address, instead of Ray's long retries."""
    endpoint = host_port(address)
    if endpoint is None:
        return
    try:
        with socket.create_connection(endpoint, timeout=timeout_s):
            pass
    except OSError as exc:
        raise RayUnavailable(f"--ray-address {address}: no Ray head answers ({exc.strerror or exc})") from None


class RayExecutor:
    """Ray tasks on the cluster at `options.address`; the `core` package travels with the job."""

    remote = True

    def __init__(self, options: RayOptions, init_timeout_s: float = INIT_TIMEOUT_S) -> None:
        ray = import_ray()
        check_reachable(options.address)
        self._ray = ray
        self._options = options
        core_dir = Path(__file__).resolve().parents[1]
        # The cluster's workers import the task functions from this checkout's `core`, whatever they have
        # installed; the heavy libraries (numpy, lightgbm, torch) must be installed there.
        kwargs = {
            "address": options.address,
            "runtime_env": {"py_modules": [str(core_dir)]},
            "log_to_driver": False,
            "configure_logging": False,
        }
        self._init(kwargs, init_timeout_s)
        cluster_cpus = float(ray.cluster_resources().get("CPU", 1.0))
        self.slots = options.slots or max(1, int(cluster_cpus // options.cpus))
        self._refs: dict[int, Any] = {}
        self._tasks: dict[Callable[..., Any], Any] = {}
        self._relay: RelayServer | None = None
        self._relay_lock = threading.Lock()

    def _init(self, kwargs: dict[str, Any], timeout_s: float) -> None:
        # ray.init retries for minutes against a half-open head: bound it on a side thread.
        outcome: list[BaseException | None] = []

        def connect() -> None:
            try:
                self._ray.init(**kwargs)
                outcome.append(None)
            except BaseException as exc:  # reported on the caller's thread below
                outcome.append(exc)

        thread = threading.Thread(target=connect, name="ray-connect", daemon=True)
        thread.start()
        thread.join(timeout_s)
        if not outcome:
            raise RayUnavailable(f"--ray-address {self._options.address}: no answer from Ray in {timeout_s:g} s")
        error = outcome[0]
        if error is not None:
            first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
            raise RayUnavailable(f"--ray-address {self._options.address}: {first}") from None

    def share(self, value: Any) -> Any:
        return self._ray.put(value)

    @contextmanager
    def callback(
        self, fn: Callable[..., Any], default: Any, timeout_s: float = ANSWER_TIMEOUT_S
    ) -> Iterator[RemoteCall]:
        with self._relay_lock:  # one relay actor for all of this executor's tasks, made on first use
            if self._relay is None:
                self._relay = RelayServer(self._ray)
            relay = self._relay
        call = relay.register(fn, default, timeout_s)
        try:
            yield call
        finally:
            relay.unregister(call)

    def submit(self, fn: Callable[..., Any], *args: Any) -> Future[Any]:
        task = self._tasks.get(fn)
        if task is None:  # exported to the cluster once per function, not per call
            task = self._ray.remote(num_cpus=self._options.cpus, num_gpus=self._options.gpus, max_retries=0)(fn)
            self._tasks[fn] = task
        ref = task.remote(*args)
        future: Future[Any] = ref.future()
        self._refs[id(future)] = ref
        future.add_done_callback(lambda f: self._refs.pop(id(f), None))
        return future

    def cancel(self, future: Future[Any]) -> None:
        ref = self._refs.get(id(future))
        if ref is not None:
            self._ray.cancel(ref, force=True)

    def close(self) -> None:
        if self._relay is not None:
            self._relay.close()
        self._ray.shutdown()


def make_executor(workers: int, ray: RayOptions | None = None) -> Executor:
    """Ray tasks when an address is given, else `workers` threads here."""
    if ray is not None:
        return RayExecutor(ray)
    return LocalExecutor(workers)
