"""`qdesk data ...`: import CSV files, show what is stored, export a Qlib provider folder."""

from __future__ import annotations

import argparse
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from core.data.importer import FileReport, discover_files, import_files
from core.data.qlib_export import ExportSummary, export_qlib
from core.data.status import store_status
from core.jobs import Progress
from core.paths import store_path
from core.storage import MarketStore

_PER_FILE_LINES = 20  # above this many files, print a summary instead of a line per file


def register(commands: Any) -> None:
    data = commands.add_parser(
        "data", help="import, inspect and export market data", description="Manage the local market store."
    )
    sub = data.add_subparsers(dest="data_command", metavar="ACTION", required=True)

    imp = sub.add_parser(
        "import",
        help="import CSV bars or index membership files",
        description="Import .csv/.csv.gz files of daily or 1-minute bars (a file, several, or "
        "folders, searched recursively), index membership files (csi300_*.csv with "
        "symbol,start,end, or Qlib instruments .txt) and instrument lists (symbol,name"
        "[,list_date][,delist_date][,total_shares][,float_shares]). The symbol comes from the file name "
        "(600000.SH.csv) or a symbol column. Re-importing is safe: identical rows are left "
        "alone, changed ones are updated. Volume is taken as shares and amount as CNY.",
    )
    imp.add_argument("paths", nargs="+", metavar="PATH", help="files or folders")
    imp.add_argument("--freq", choices=["1d", "1m"], help="bar frequency (default: inferred from the timestamps)")
    imp.add_argument("--workers", type=int, default=None, help="parser processes (default: cores - 1)")
    imp.add_argument("-v", "--verbose", action="store_true", help="one line per file even for large imports")
    imp.set_defaults(handler=cmd_import)

    status = sub.add_parser("status", help="what is stored: symbols, rows, date range, gaps")
    status.add_argument("--worst", type=int, default=10, metavar="N", help="list the N series with most gaps")
    status.set_defaults(handler=cmd_status)

    hol = sub.add_parser(
        "holidays",
        help="import the exchange's holiday list, so sessions ahead are known",
        description="Read a CSV of exchange holidays (one date a line, YYYY-MM-DD; a header line is allowed) "
        "listing every weekday holiday of the years it covers, and store those years' trading days as the "
        "exchange calendar: the routine's next session, the daily schedule and the queued orders' release use it.",
    )
    hol.add_argument("file", metavar="FILE")
    hol.set_defaults(handler=cmd_holidays)

    names = sub.add_parser(
        "names",
        help="import instrument names, their history, listing dates and share capital",
        description="Read an instrument CSV (symbol,name[,list_date][,delist_date][,name_start][,total_shares]"
        "[,float_shares]) into the store in one transaction: a bad row stores nothing. Without name_start a name is "
        "the current one (a rename from today when it differs from the stored one); with it, each row is a name the "
        "stock traded under from that day, so renames and ST/*ST periods are kept as history. total_shares and "
        "float_shares are the share capital and tradable shares in shares (empty = unknown), held from the row's "
        "name_start or, without one, from now: F10's market cap and the quote board's turnover %% use them.",
    )
    names.add_argument("file", metavar="FILE")
    names.set_defaults(handler=cmd_names)

    exp = sub.add_parser(
        "export-qlib",
        help="write a Qlib provider folder from the store",
        description="Write calendars, instruments (all, and csi300/csi500 when membership "
        "was imported) and adjusted daily features. A second export into the same folder "
        "only writes what changed.",
    )
    exp.add_argument("directory", metavar="DIR")
    exp.set_defaults(handler=cmd_export)


def _open_store(data_dir: Path) -> MarketStore:
    return MarketStore.open(store_path(data_dir))


def cmd_import(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError

    try:
        files = discover_files(args.paths)
    except FileNotFoundError as exc:
        raise CliError(str(exc)) from None
    if not files:
        raise CliError(f"no .csv/.csv.gz/.txt files found in {' '.join(args.paths)}")
    store = _open_store(data_dir)
    print(f"Importing {len(files)} file(s) into {store.path}", file=sys.stderr)
    started = time.perf_counter()
    reports: list[FileReport] = []
    verbose = args.verbose or len(files) <= _PER_FILE_LINES
    with _progress_bar(len(files), "import", "file") as bar:
        for step in import_files(store, files, args.freq, workers=args.workers):
            report = step.report
            assert report is not None
            reports.append(report)
            bar.update(1)
            if not report.ok:
                bar.write(f"ERROR {report.error}", file=sys.stderr)
            elif verbose:
                bar.write(_report_line(report))
    _print_import_summary(reports, time.perf_counter() - started)
    store.close()
    return 1 if any(not r.ok for r in reports) else 0


def cmd_holidays(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError
    from core.data.exchange_calendar import BadHolidayFile, import_holidays

    store = _open_store(data_dir)
    try:
        count, last = import_holidays(store, Path(args.file))
    except BadHolidayFile as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    print(f"Exchange calendar: {count} trading days stored, known through {last}")
    return 0


def cmd_names(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError
    from core.data.csv_bars import BarFileError
    from core.data.importer import write_parsed
    from core.data.instrument_list import read_instrument_list
    from core.storage.instrument_names import st_periods

    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"{path}: no such file")
    try:
        parsed = read_instrument_list(path)
    except BarFileError as exc:
        raise CliError(str(exc)) from None
    store = _open_store(data_dir)
    try:
        report = write_parsed(store, path, parsed)
        warned = sum(1 for s in report.symbols for _ in st_periods(store).get(s, ()))
    finally:
        store.close()
    if not report.ok:
        raise CliError(report.error or "not imported")
    with_shares = len({row[0] for row in parsed.shares})
    print(
        f"Names: {len(report.symbols)} symbols, {len(parsed.rows)} rows "
        f"({len(parsed.dated_names)} dated names); {warned} risk-warning period(s) known for them; "
        f"share capital of {with_shares} symbol(s)"
    )
    return 0


def _report_line(r: FileReport) -> str:
    what = r.freq if r.kind == "bars" else f"{r.kind} {r.freq}".strip()
    symbols = r.symbols[0] if len(r.symbols) == 1 else f"{len(r.symbols)} symbols"
    skipped = "".join(f", skipped {n} ({why})" for why, n in r.skipped.items())
    return (
        f"{r.path.name}: {what} {symbols}, {r.rows} rows {r.first} → {r.last}: "
        f"{r.inserted} new, {r.updated} updated, {r.unchanged} unchanged{skipped}"
    )


def _print_import_summary(reports: list[FileReport], seconds: float) -> None:
    ok = [r for r in reports if r.ok]
    bars = [r for r in ok if r.kind == "bars"]
    rows = sum(r.rows for r in bars)
    symbols = {s for r in bars for s in r.symbols}
    skipped: Counter[str] = Counter()
    for r in ok:
        skipped.update(r.skipped)
    firsts = [r.first for r in bars if r.first]
    print(
        f"Imported {len(ok)} of {len(reports)} file(s) in {seconds:.1f} s "
        f"({rows / seconds if seconds else 0:,.0f} rows/s)"
    )
    if bars:
        print(
            f"  bars: {len(symbols)} symbols, {rows:,} rows, {min(firsts)} → {max(r.last for r in bars)}; "
            f"{sum(r.inserted for r in bars):,} new, {sum(r.updated for r in bars):,} updated, "
            f"{sum(r.unchanged for r in bars):,} unchanged"
        )
    for r in ok:
        if r.kind == "membership":
            print(f"  membership: {r.freq} {len(r.symbols)} symbols, {r.rows} intervals (replaced previous)")
        elif r.kind == "instruments":
            print(f"  instruments: names and listing dates of {len(r.symbols)} symbols updated")
    for why, n in skipped.most_common():
        print(f"  skipped {n:,} row(s): {why}")
    failed = len(reports) - len(ok)
    if failed:
        print(f"  {failed} file(s) failed and were not imported (nothing from them was stored)")


def cmd_status(args: argparse.Namespace, data_dir: Path) -> int:
    path = store_path(data_dir)
    if not path.exists():
        print(f"No market store yet at {path}. Import data with: qdesk data import PATH...")
        return 0
    store = MarketStore.open(path)
    st = store_status(store, worst=args.worst)
    print(f"Store: {path} (revision {st.revision})")
    if not st.freqs:
        print("No bars stored.")
    else:
        print(
            f"Calendar: {st.calendar_days} trading days {st.calendar_first} → {st.calendar_last} "
            f"({st.index_calendar_days} of them confirmed by SSE index bars)"
        )
        print(
            f"{'freq':<5} {'symbols':>8} {'rows':>12}  {'first':<10}  {'last':<10}  "
            f"{'series with gaps':>16}  {'missing days':>12}"
        )
        for f in st.freqs:
            print(
                f"{f.freq:<5} {f.symbols:>8,} {f.rows:>12,}  {f.first:<10}  {f.last:<10}  "
                f"{f.series_with_gaps:>16,}  {f.missing_days:>12,}"
            )
        for f in st.freqs:
            if f.worst:
                print(f"Most missing trading days ({f.freq}; suspensions are normal):")
                for g in f.worst:
                    print(
                        f"  {g.symbol:<10} {g.missing:>6} missing; longest {g.longest_days} day(s) "
                        f"{g.longest_from} → {g.longest_to}"
                    )
    for name, (symbols, intervals) in sorted(st.membership.items()):
        print(f"Index membership {name}: {symbols} symbols in {intervals} intervals")
    store.close()
    return 0


def cmd_export(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError

    path = store_path(data_dir)
    if not path.exists():
        raise CliError(f"no market store at {path}; import data first")
    store = MarketStore.open(path)
    started = time.perf_counter()
    summary: ExportSummary | None = None
    try:
        with _progress_bar(None, "export", "symbol") as bar:
            for step in export_qlib(store, Path(args.directory).expanduser().resolve()):
                if isinstance(step, Progress):
                    bar.total = step.total
                    bar.n = step.done
                    bar.refresh()
                else:
                    summary = step
    except ValueError as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
    assert summary is not None
    print(
        f"Exported to {summary.directory} ({summary.mode}) in {time.perf_counter() - started:.1f} s: "
        f"{summary.calendar_days} trading days, {summary.instruments} instruments, "
        f"{summary.rewritten} written, {summary.appended} appended"
        + (f"; universes: all, {', '.join(summary.indices)}" if summary.indices else "; universes: all")
    )
    return 0


def _progress_bar(total: int | None, desc: str, unit: str) -> Any:
    from tqdm import tqdm

    # Progress goes to stderr so stdout stays a clean report; hidden when stderr is not a terminal.
    return tqdm(total=total, desc=desc, unit=unit, file=sys.stderr, disable=None, leave=False)
