"""Where factor candidates are evaluated: this process, a local process pool, or another executor plugged in.

An executor is built around the data every evaluation reads (`shared`), ships it to each worker once, and
then maps `fn(shared, item)` over items in order. The search only sees the `Executor` interface; on a Ray
cluster it runs through the research execution layer (the data put in the object store once, one task per
chunk of candidates), the same one studies use.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

if TYPE_CHECKING:
    from core.research.execution import Executor as ResearchExecutor

T = TypeVar("T")
R = TypeVar("R")


class Executor(Protocol):
    def map(self, fn: Callable[[Any, T], R], items: Sequence[T]) -> list[R]:
        """fn(shared, item) for each item, results in the items' order."""
        ...

    def close(self) -> None: ...


ExecutorFactory = Callable[[Any], Executor]  # shared data -> an executor holding it


class InProcess:
    """Evaluates in the calling thread: the default for one worker, and what tests observe."""

    def __init__(self, shared: Any) -> None:
        self.shared = shared

    def map(self, fn: Callable[[Any, T], R], items: Sequence[T]) -> list[R]:
        return [fn(self.shared, item) for item in items]

    def close(self) -> None:
        pass


# The shared data of this worker process, installed once by the pool's initializer (never in the parent).
_WORKER_SHARED: Any = None


def _install(shared: Any) -> None:
    global _WORKER_SHARED
    _WORKER_SHARED = shared


def _call(job: tuple[Callable[[Any, Any], Any], Any]) -> Any:
    fn, item = job
    return fn(_WORKER_SHARED, item)


class LocalProcesses:
    """A pool of `workers` processes on this machine, each given `shared` once when it starts."""

    def __init__(self, shared: Any, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"--workers must be at least 1, got {workers}")
        self._pool = ProcessPoolExecutor(max_workers=workers, initializer=_install, initargs=(shared,))

    def map(self, fn: Callable[[Any, T], R], items: Sequence[T]) -> list[R]:
        return list(self._pool.map(_call, [(fn, item) for item in items]))

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)


def local_executor(workers: int) -> ExecutorFactory:
    """In this process for one worker, else a local process pool."""

    def build(shared: Any) -> Executor:
        return InProcess(shared) if workers == 1 else LocalProcesses(shared, workers)

    if workers < 1:
        raise ValueError(f"--workers must be at least 1, got {workers}")
    return build


def _map_chunk(fn: Callable[[Any, Any], Any], shared: Any, chunk: Sequence[Any]) -> list[Any]:
    return [fn(shared, item) for item in chunk]


class OnResearchExecutor:
    """Candidates scored through the research execution layer (Ray tasks on the user's cluster): the data
    goes to the executor once (`share`), then one task per chunk of candidates, results in order."""

    def __init__(self, executor: ResearchExecutor, shared: Any) -> None:
        self._executor = executor
        self._shared = executor.share(shared)

    def map(self, fn: Callable[[Any, T], R], items: Sequence[T]) -> list[R]:
        # A few chunks per slot: enough to balance uneven candidates without a task per expression.
        size = max(1, -(-len(items) // (self._executor.slots * 2)))
        chunks = [items[i : i + size] for i in range(0, len(items), size)]
        futures = [self._executor.submit(_map_chunk, fn, self._shared, chunk) for chunk in chunks]
        return [result for future in futures for result in future.result()]

    def close(self) -> None:
        self._executor.close()


def research_executor(build: Callable[[], ResearchExecutor]) -> ExecutorFactory:
    """Score candidates on the executor `build` makes (e.g. a RayExecutor for `--ray-address`)."""
    return lambda shared: OnResearchExecutor(build(), shared)
