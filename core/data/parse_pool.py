"""Parse import files in background processes, in order, a few files ahead of the writer."""

from __future__ import annotations

import multiprocessing
import os
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from core.data.csv_bars import BarFile, BarFileError, read_bar_file, read_header
from core.data.instrument_list import InstrumentListFile, looks_like_instrument_list, read_instrument_list
from core.data.membership import MembershipFile, looks_like_membership, read_membership_file

# A parsed file, or the one-line error that says why it cannot be imported. Errors travel as
# strings because exception classes with their own __init__ do not survive pickling intact.
ParsedFile = BarFile | MembershipFile | InstrumentListFile | str

_MIN_FILES_FOR_POOL = 8  # below this, starting worker processes costs more than it saves


def parse_file(path: Path, freq: str | None = None) -> ParsedFile:
    """Read and validate one file fully; nothing is written here."""
    try:
        header = read_header(path)
        if looks_like_membership(path, header):
            return read_membership_file(path)
        if looks_like_instrument_list(header):
            return read_instrument_list(path)
        return read_bar_file(path, freq)
    except BarFileError as exc:
        return str(exc)
    except (OSError, UnicodeError, ValueError) as exc:
        return f"{path}: {exc}"


def default_workers() -> int:
    return max(1, min(4, (os.cpu_count() or 2) - 1))


def parse_in_background(
    files: list[Path], freq: str | None, workers: int | None = None
) -> Iterator[tuple[Path, ParsedFile]]:
    """Yield (path, parsed) in input order; parsing runs ahead in a process pool."""
    workers = default_workers() if workers is None else workers
    if workers < 1 or len(files) < _MIN_FILES_FOR_POOL:
        for path in files:
            yield path, parse_file(path, freq)
        return
    # spawn, not fork: the caller may be a GUI process with threads, which fork would copy badly.
    context = multiprocessing.get_context("spawn")
    pool = ProcessPoolExecutor(max_workers=workers, mp_context=context)
    pending: deque[tuple[Path, Future[ParsedFile]]] = deque()
    queue = iter(files)
    try:
        for path in queue:
            pending.append((path, pool.submit(parse_file, path, freq)))
            if len(pending) >= workers * 4:
                break
        while pending:
            path, future = pending.popleft()
            nxt = next(queue, None)
            if nxt is not None:
                pending.append((nxt, pool.submit(parse_file, nxt, freq)))
            yield path, future.result()
    finally:
        # Runs on normal end, on error and when the consumer stops early (cancel).
        pool.shutdown(wait=True, cancel_futures=True)
