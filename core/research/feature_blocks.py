"""Qlib's features computed from its binary files block by block of instruments, with the columnar evaluator.

Each block of instruments is read from the `.day.bin` files into one long column per field (core.research.
columnar lays them out and evaluates the expressions), and only the rows the request asks for are kept: the
days of [start, end] inside each instrument's series and membership spans.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np
import pandas as pd

from core.research.columnar import (
    FIELDS,
    PAD,
    Evaluator,
    Frame,
    extended_window,
    field_names,
    parse,
    shared_nodes,
)


def read_bins(
    provider: Path, codes: Sequence[str], lo: int, hi: int, fields: Sequence[str] = FIELDS
) -> tuple[dict[str, Frame], np.ndarray, np.ndarray]:
    """Fields of `codes` over calendar rows [lo, hi] as day × instrument frames (float32, as Qlib computes
    element-wise operations in the bins' precision), and per code the
    first and last rows (relative to `lo`) its series covers (Qlib's series starts and ends there)."""
    n = hi - lo + 1
    arrays = {f: np.full((PAD + n, len(codes)), np.nan, dtype=np.float32) for f in fields}
    first = np.full(len(codes), n, dtype=np.int64)
    last = np.full(len(codes), -1, dtype=np.int64)
    for j, code in enumerate(codes):
        folder = Path(provider) / "features" / code.lower()
        for f in fields:
            path = folder / f"{f}.day.bin"
            if not path.exists():
                continue
            raw = np.fromfile(path, dtype="<f4")
            if raw.size < 2:
                continue
            start = int(raw[0])
            a, b = max(start, lo), min(start + raw.size - 2, hi)
            if a <= b:
                arrays[f][PAD + a - lo : PAD + b - lo + 1, j] = raw[1 + a - start : 2 + b - start]
                first[j] = min(first[j], max(start - lo, 0))
                last[j] = max(last[j], b - lo)
    return {f: pd.Series(np.ascontiguousarray(v.T).ravel()) for f, v in arrays.items()}, first, last


BUFFER_DAYS = 100  # calendar rows read before the start: the longest Alpha158/Alpha360 window is 61
AHEAD_DAYS = 5  # and after the end, for labels that look forward (Ref($close, -2))
CHUNK = 256  # instruments evaluated together: bounds the memory of the shared subexpressions
# ...and so does the span: a block holds at most about this many instrument-days (CSI300 over 2008-2020 at
# 256 instruments a block peaked at 1.7 GB in the first block alone; 64 a block at 0.6 GB, and no slower).
BLOCK_CELLS = 200_000
MIN_CHUNK = 16


class FeatureBlock(NamedTuple):
    """Features and label (last column) of a block of instruments, float32 rows in (instrument, day) order."""

    values: np.ndarray
    instruments: np.ndarray  # per row: the instrument's name
    dates: pd.DatetimeIndex  # per row: the day


def compute_features(
    provider: Path,
    spans: dict[str, list[tuple[Any, Any]]],
    start: str,
    end: str,
    expressions: Sequence[str],
    names: Sequence[str],
    label: str,
    cancel: Callable[[], None] | None = None,
    buffer: int = BUFFER_DAYS,
    chunk: int = CHUNK,
    ahead: int = AHEAD_DAYS,
    operators: dict[str, Callable[..., Frame]] | None = None,
) -> Iterator[tuple[int, int] | pd.DataFrame]:
    """Features and label of the instruments in `spans`, on the days of [start, end] inside their spans,
    as a frame indexed (instrument, datetime) with columns ('feature', name) and ('label', 'LABEL0'),
    float32: the frame Qlib's loader gives for the same request. Yields (instruments done, total) after
    each block of instruments, then the frame. `buffer`: calendar rows read before `start`, at least the
    longest look-back of the expressions (a caller scoring a few days reads no more than they need);
    `chunk`: instruments per block at most (a short window affords them all at once; a long one gets fewer,
    BLOCK_CELLS instrument-days a block); `ahead`: calendar rows read
    after `end`, at least the furthest look-ahead; `operators`: the operator table (default OPERATORS)."""
    pieces = []
    for step in compute_blocks(
        provider, spans, start, end, expressions, names, label, cancel, buffer, chunk, ahead, operators
    ):
        if isinstance(step, FeatureBlock):  # before the progress tuples: a NamedTuple is a tuple too
            index = pd.MultiIndex.from_arrays([step.instruments, step.dates], names=["instrument", "datetime"])
            pieces.append(pd.DataFrame(step.values, index=index))
        else:
            yield step
    if not pieces:
        yield pd.DataFrame()
        return
    frame = pd.concat(pieces)
    frame.columns = pd.MultiIndex.from_tuples([*(("feature", n) for n in names), ("label", "LABEL0")])
    yield frame


def compute_blocks(
    provider: Path,
    spans: dict[str, list[tuple[Any, Any]]],
    start: str,
    end: str,
    expressions: Sequence[str],
    names: Sequence[str],
    label: str,
    cancel: Callable[[], None] | None = None,
    buffer: int = BUFFER_DAYS,
    chunk: int = CHUNK,
    ahead: int = AHEAD_DAYS,
    operators: dict[str, Callable[..., Frame]] | None = None,
) -> Iterator[tuple[int, int] | FeatureBlock]:
    """compute_features block by block: each block of instruments as a FeatureBlock, then (done, total).
    A caller that lays the blocks out itself holds the values once, with no frame around them."""
    calendar = pd.DatetimeIndex(pd.read_csv(Path(provider) / "calendars" / "day.txt", header=None)[0])
    s_idx = int(calendar.searchsorted(pd.Timestamp(start)))
    e_idx = int(calendar.searchsorted(pd.Timestamp(end), side="right")) - 1
    if e_idx < s_idx:
        return
    lo, hi = max(s_idx - buffer, 0), min(e_idx + ahead, len(calendar) - 1)
    trees = [parse(e) for e in (*expressions, label)]
    keep = shared_nodes(trees)
    # Only the fields the expressions name are read (close always: it gives the block's shape).
    needed = sorted(set().union(*map(field_names, trees)) | {"close"})
    codes = sorted(spans)
    chunk = max(MIN_CHUNK, min(chunk, BLOCK_CELLS // (hi - lo + 1)))
    for c0 in range(0, len(codes), chunk):
        block = codes[c0 : c0 + chunk]
        fields, first, last = read_bins(provider, block, lo, hi, needed)
        t_rows, j_cols = member_rows(first, last, block, spans, calendar[lo : hi + 1], s_idx - lo, e_idx - lo)
        ev = Evaluator(fields, first, keep, len(block), operators)
        out = np.empty((len(t_rows), len(trees)), dtype=np.float32)
        for k, tree in enumerate(trees):
            value = ev.evaluate(tree, s_idx - lo - extended_window(tree)[0])
            if isinstance(value, pd.Series):
                with np.errstate(over="ignore", invalid="ignore"):
                    out[:, k] = ev.wide(value)[PAD + t_rows, j_cols]
            else:
                out[:, k] = value
            if cancel is not None:
                cancel()
        del ev, fields
        yield FeatureBlock(out, np.asarray(block, dtype=object)[j_cols], calendar[lo + t_rows])
        yield c0 + len(block), len(codes)


def member_rows(
    first: np.ndarray,
    last: np.ndarray,
    codes: Sequence[str],
    spans: dict[str, list[tuple[Any, Any]]],
    days: pd.DatetimeIndex,
    a: int,
    b: int,
) -> tuple[np.ndarray, np.ndarray]:
    """(day, instrument) positions of the output rows: days in [a, b] inside the instrument's series and
    membership spans, ordered by instrument then day."""
    t_all, j_all = [], []
    for j, code in enumerate(codes):
        t = np.arange(max(a, int(first[j])), min(b, int(last[j])) + 1)
        inside = np.zeros(len(t), dtype=bool)
        for begin, stop in spans[code]:
            inside |= (days[t] >= pd.Timestamp(begin)) & (days[t] <= pd.Timestamp(stop))
        t_all.append(t[inside])
        j_all.append(np.full(int(inside.sum()), j))
    if not t_all:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    return np.concatenate(t_all), np.concatenate(j_all)
