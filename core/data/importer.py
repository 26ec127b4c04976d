"""Import CSV files of bars and index membership into the market store, one transaction per file."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from core.data.csv_bars import BarFile
from core.data.instrument_list import InstrumentListFile
from core.data.membership import MembershipFile
from core.data.parse_pool import ParsedFile, parse_file, parse_in_background
from core.domain.symbols import Board, Exchange, parse_symbol
from core.jobs import CancelToken, Progress
from core.storage.instrument_names import record_names
from core.storage.instrument_shares import record_shares
from core.storage.market_store import MarketStore

_SUFFIXES = (".csv", ".csv.gz", ".txt", ".txt.gz")


@dataclass
class FileReport:
    """Outcome of importing one file: what was stored, what was skipped and why, or the error."""

    path: Path
    kind: str = "bars"  # 'bars' | 'membership' | 'instruments'
    freq: str = ""
    symbols: list[str] = field(default_factory=list)
    rows: int = 0
    inserted: int = 0
    updated: int = 0
    first: str = ""
    last: str = ""
    skipped: dict[str, int] = field(default_factory=dict)
    error: str | None = None

    @property
    def unchanged(self) -> int:
        return self.rows - self.inserted - self.updated

    @property
    def ok(self) -> bool:
        return self.error is None


@dataclass(frozen=True, slots=True)
class ImportProgress(Progress):
    """Progress after one file, carrying that file's report."""

    report: FileReport | None = None


def discover_files(paths: Iterable[Path | str]) -> list[Path]:
    """Expand files and folders (recursively) into importable files, sorted, without duplicates."""
    found: dict[Path, None] = {}
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            for child in sorted(path.rglob("*")):
                if child.is_file() and child.name.lower().endswith(_SUFFIXES):
                    found[child] = None
        elif path.exists():
            found[path] = None
        else:
            raise FileNotFoundError(f"{path}: no such file or folder")
    return list(found)


def import_files(
    store: MarketStore,
    files: list[Path],
    freq: str | None = None,
    cancel: CancelToken | None = None,
    workers: int | None = None,
) -> Iterator[ImportProgress]:
    """Import each file in its own transaction; a failing file is rolled back whole and reported.

    Files are parsed in `workers` background processes while this thread writes, so a large
    folder imports at the speed of the slower of the two. SQLite writes stay on this thread.
    """
    for done, (path, parsed) in enumerate(parse_in_background(files, freq, workers), start=1):
        if cancel is not None:
            cancel.raise_if_cancelled()
        report = write_parsed(store, path, parsed)
        yield ImportProgress(done, len(files), path.name, report)


def import_one(store: MarketStore, path: Path, freq: str | None = None) -> FileReport:
    """Parse and validate fully before writing; then write everything in one transaction."""
    return write_parsed(store, path, parse_file(path, freq))


def write_parsed(store: MarketStore, path: Path, parsed: ParsedFile) -> FileReport:
    """Store what `parse_file` produced; an error string becomes the report's error."""
    report = FileReport(path)
    if isinstance(parsed, str):
        report.error = parsed
    elif isinstance(parsed, MembershipFile):
        _import_membership(store, parsed, report)
    elif isinstance(parsed, InstrumentListFile):
        _import_instruments(store, parsed, report)
    else:
        _import_bars(store, parsed, report)
    return report


def _import_membership(store: MarketStore, parsed: MembershipFile, report: FileReport) -> None:
    path = parsed.path
    report.kind, report.freq = "membership", parsed.index_name
    report.symbols = sorted({iv[0] for iv in parsed.intervals})
    report.rows = report.inserted = len(parsed.intervals)
    report.first = min(iv[1] for iv in parsed.intervals)
    report.last = max(iv[2] for iv in parsed.intervals)
    with store.transaction():
        revision = store.next_revision()
        store.ensure_instruments(report.symbols)
        store.replace_membership(parsed.index_name, parsed.intervals)
        store.log_import(revision, str(path), f"membership:{parsed.index_name}", report.rows, report.rows, 0, 0)


def _import_instruments(store: MarketStore, parsed: InstrumentListFile, report: FileReport) -> None:
    report.kind, report.freq = "instruments", ""
    report.symbols = sorted({r[0] for r in parsed.rows})
    report.rows = report.updated = len(parsed.rows)
    with store.transaction():
        revision = store.next_revision()
        store.update_instruments(parsed.rows)
        record_names(store, parsed.dated_names, dt.date.today())
        record_shares(store, parsed.shares, dt.date.today())
        store.log_import(revision, str(parsed.path), "instruments", report.rows, 0, report.rows, 0)


def _import_bars(store: MarketStore, bar_file: BarFile, report: FileReport) -> None:
    report.freq, report.skipped = bar_file.freq, bar_file.skipped
    report.symbols = sorted(bar_file.frames)
    if not bar_file.frames:
        return
    with store.transaction():
        revision = store.next_revision()
        store.ensure_instruments(report.symbols, bar_file.names)
        for symbol, frame in bar_file.frames.items():
            result = store.upsert_bars(symbol, bar_file.freq, frame, revision)
            report.rows += result.rows
            report.inserted += result.inserted
            report.updated += result.updated
            report.first = min(report.first or result.first_time, result.first_time)
            report.last = max(report.last, result.last_time)
            if result.inserted:
                times = frame["time"] if bar_file.freq == "1d" else frame["time"].str.slice(0, 10).unique()
                _record_trading_days(store, symbol, list(times))
        store.log_import(
            revision,
            str(bar_file.path),
            f"bars:{bar_file.freq}",
            report.rows,
            report.inserted,
            report.updated,
            sum(report.skipped.values()),
        )


def _record_trading_days(store: MarketStore, symbol: str, days: list[str]) -> None:
    # Every bar's date is a trading day; SSE index bars (000xxx.SH) also define the SSE calendar.
    store.add_trading_days("bars", days)
    parsed = parse_symbol(symbol)
    if parsed.exchange is Exchange.SH and parsed.board is Board.INDEX:
        store.add_trading_days("index", days)
