"""Write the store's daily bars as a Qlib provider folder (calendars, instruments, features/*.day.bin).

The folder is derived data: it can be deleted and rebuilt at any time. Prices follow Qlib's
convention for CN data (as its dump_bin writes them): `$open..$close = raw x factor`,
`$volume = volume / factor`, `$vwap = amount / volume x factor`, `$factor = factor`. Each .bin is
little-endian float32: the first value is the calendar index of the first row, then one value per
calendar day up to the symbol's last bar (NaN on suspended days).

A second export into the same folder is incremental: symbols whose bars did not change since the
last export are left alone, new days are appended, and only symbols with edited history are rewritten.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.data.qlib_runtime import forget_reads
from core.domain.symbols import Board, parse_symbol
from core.jobs import CancelToken, Progress
from core.storage.market_store import MarketStore

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

FIELDS = ("open", "high", "low", "close", "volume", "amount", "vwap", "factor", "change")
MANIFEST = ".qdesk_export.json"
_FORMAT = 1


@dataclass(frozen=True, slots=True)
class ExportSummary:
    """What an export wrote."""

    directory: Path
    mode: str  # 'full' | 'incremental' | 'unchanged'
    calendar_days: int
    instruments: int
    rewritten: int
    appended: int
    indices: tuple[str, ...]


def export_qlib(
    store: MarketStore, directory: Path, cancel: CancelToken | None = None
) -> Iterator[Progress | ExportSummary]:
    """Export (or update) a Qlib provider folder. Yields progress, then the summary last."""
    directory = Path(directory)
    calendar = store.trading_days()
    if not calendar:
        raise ValueError("the store holds no daily bars: import some with `data import` first")
    series = {s.symbol: s for s in store.series("1d")}
    manifest = _read_manifest(directory)
    old_calendar = _read_calendar(directory)
    full = (
        manifest is None
        or manifest.get("in_progress")
        or manifest.get("format") != _FORMAT
        or manifest.get("store_id") != store.store_id
        or manifest.get("fields") != list(FIELDS)
        or calendar[: len(old_calendar)] != old_calendar
    )
    spans: dict[str, list[int]] = {}
    rewrite: list[str] = sorted(series)
    append: dict[str, str] = {}
    if not full and manifest is not None:  # `full` already covers a missing manifest; mypy needs it spelled out
        spans = dict(manifest["symbols"])
        rewrite, append = _plan_incremental(store, manifest, old_calendar)
    removed = [s for s in rewrite if s not in series]  # deleted from the store since the last export
    rewrite = [s for s in rewrite if s in series]
    if manifest is None and directory.exists() and any(directory.iterdir()):
        raise ValueError(f"{directory} is not empty and holds no QDesk export; choose an empty or new folder")
    directory.mkdir(parents=True, exist_ok=True)
    _write_manifest(directory, {**(manifest or {}), "in_progress": True})
    if full and (directory / "features").exists():
        shutil.rmtree(directory / "features")
    for symbol in removed:
        qcode = parse_symbol(symbol).qlib_code
        shutil.rmtree(directory / "features" / qcode.lower(), ignore_errors=True)
        spans.pop(qcode, None)
    writer = _BinWriter(directory, calendar)
    todo = len(rewrite) + len(append) + len(removed)
    done = 0
    for chunk in _chunks(rewrite, 200):
        for symbol, frame in _frames_by_symbol(store.read_all_bars("1d", chunk)):
            spans[parse_symbol(symbol).qlib_code] = writer.write(symbol, frame)
        done += len(chunk)
        yield Progress(done, todo, "features")
        if cancel is not None:
            cancel.raise_if_cancelled()
    for symbol, since in append.items():
        qcode = parse_symbol(symbol).qlib_code
        spans[qcode] = writer.append(symbol, store.read_bars(symbol, "1d", start=since), spans[qcode])
        done += 1
        if done % 100 == 0:
            yield Progress(done, todo, "features")
    _write_calendar(directory, calendar)
    indices = _write_instruments(directory, store, series)
    _write_manifest(
        directory,
        {
            "format": _FORMAT,
            "store_id": store.store_id,
            "revision": store.revision,
            "fields": list(FIELDS),
            "symbols": spans,
            "in_progress": False,
        },
    )
    mode = "full" if full else ("incremental" if todo else "unchanged")
    forget_reads()  # the files may have changed under what this process read before
    yield ExportSummary(directory, mode, len(calendar), len(series), len(rewrite), len(append), indices)


def _plan_incremental(
    store: MarketStore, manifest: dict[str, Any], old_calendar: list[str]
) -> tuple[list[str], dict[str, str]]:
    """Split changed symbols into those to rewrite whole and those that only gained later days."""
    rewrite: list[str] = []
    append: dict[str, str] = {}
    for symbol, changed_from in store.changes_since(int(manifest["revision"]), "1d").items():
        span = manifest["symbols"].get(parse_symbol(symbol).qlib_code)
        if span is not None and changed_from > old_calendar[span[1]]:
            append[symbol] = old_calendar[span[1]]  # re-read the last exported day for `change`
        else:
            rewrite.append(symbol)
    return sorted(rewrite), append


class _BinWriter:
    """Turns one symbol's raw bars into Qlib's adjusted float32 series on the calendar."""

    def __init__(self, directory: Path, calendar: list[str]) -> None:
        import numpy as np

        self._features = directory / "features"
        self._calendar = np.asarray(calendar)

    def write(self, symbol: str, frame: pd.DataFrame) -> list[int]:
        idx = self._positions(frame)
        start, end = int(idx[0]), int(idx[-1])
        folder = self._folder(symbol)
        for name, values in qlib_fields(frame).items():
            _series_on_calendar(idx - start, values, end - start + 1, header=float(start)).tofile(
                folder / f"{name}.day.bin"
            )
        return [start, end]

    def append(self, symbol: str, frame: pd.DataFrame, span: list[int]) -> list[int]:
        """Append the days after `span[1]`; `frame` starts at the last exported day."""
        idx = self._positions(frame)
        new = idx > span[1]
        if not new.any():
            return span
        end = int(idx[-1])
        folder = self._folder(symbol)
        for name, values in qlib_fields(frame).items():
            block = _series_on_calendar(idx[new] - span[1] - 1, values[new], end - span[1], header=None)
            with open(folder / f"{name}.day.bin", "ab") as fh:
                block.tofile(fh)
        return [span[0], end]

    def _positions(self, frame: pd.DataFrame) -> np.ndarray:
        import numpy as np

        times = frame["time"].to_numpy(dtype=str)
        idx = np.searchsorted(self._calendar, times)
        if (idx >= len(self._calendar)).any() or (
            self._calendar[np.minimum(idx, len(self._calendar) - 1)] != times
        ).any():
            raise ValueError("bars dated outside the trading calendar; the store is inconsistent")
        return idx

    def _folder(self, symbol: str) -> Path:
        folder = self._features / parse_symbol(symbol).qlib_code.lower()
        folder.mkdir(parents=True, exist_ok=True)
        return folder


def qlib_fields(frame: pd.DataFrame) -> dict[str, np.ndarray]:
    """Qlib's adjusted fields from raw bars of one symbol (sorted by time)."""
    import numpy as np

    factor = frame["factor"].ffill().bfill().fillna(1.0).to_numpy(dtype=float)
    close = frame["close"].to_numpy(dtype=float) * factor
    volume = frame["volume"].to_numpy(dtype=float)
    amount = frame["amount"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        vwap = np.where(volume > 0, amount / volume * factor, np.nan)
        change = np.concatenate([[np.nan], close[1:] / close[:-1] - 1.0])
    return {
        "open": frame["open"].to_numpy(dtype=float) * factor,
        "high": frame["high"].to_numpy(dtype=float) * factor,
        "low": frame["low"].to_numpy(dtype=float) * factor,
        "close": close,
        "volume": volume / factor,
        "amount": amount,
        "vwap": vwap,
        "factor": factor,
        "change": change,
    }


def _series_on_calendar(offsets: np.ndarray, values: np.ndarray, length: int, header: float | None) -> np.ndarray:
    import numpy as np

    out = np.full(length + (header is not None), np.nan, dtype="<f4")
    body = out[1:] if header is not None else out
    body[offsets] = values
    if header is not None:
        out[0] = header
    return out


def _frames_by_symbol(frame: pd.DataFrame) -> Iterator[tuple[str, pd.DataFrame]]:
    for symbol, part in frame.groupby("symbol", sort=False):
        yield str(symbol), part.reset_index(drop=True)


def _chunks(items: list[str], size: int) -> Iterator[list[str]]:
    for i in range(0, len(items), size):
        yield items[i : i + size]


def _write_calendar(directory: Path, calendar: list[str]) -> None:
    (directory / "calendars").mkdir(parents=True, exist_ok=True)
    _atomic_write(directory / "calendars" / "day.txt", "\n".join(calendar) + "\n")


def _write_instruments(directory: Path, store: MarketStore, series: dict[str, Any]) -> tuple[str, ...]:
    """`all` lists every stock (indices are exported as features, not as universe members)."""
    folder = directory / "instruments"
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        f"{parse_symbol(s).qlib_code}\t{v.first_time}\t{v.last_time}"
        for s, v in sorted(series.items())
        if parse_symbol(s).board is not Board.INDEX
    ]
    _atomic_write(folder / "all.txt", "\n".join(lines) + "\n")
    membership = store.membership()
    for name, intervals in membership.items():
        rows = [f"{parse_symbol(s).qlib_code}\t{a}\t{b}" for s, a, b in intervals]
        _atomic_write(folder / f"{name}.txt", "\n".join(rows) + "\n")
    return tuple(sorted(membership))


def _read_calendar(directory: Path) -> list[str]:
    path = directory / "calendars" / "day.txt"
    return path.read_text().split() if path.exists() else []


def _read_manifest(directory: Path) -> dict[str, Any] | None:
    path = directory / MANIFEST
    try:
        return json.loads(path.read_text()) if path.exists() else None
    except (OSError, ValueError):
        return None  # unreadable manifest: fall back to a full export


def _write_manifest(directory: Path, content: dict[str, Any]) -> None:
    _atomic_write(directory / MANIFEST, json.dumps(content, indent=1, sort_keys=True))


def _atomic_write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
