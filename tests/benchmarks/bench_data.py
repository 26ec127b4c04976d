"""Data-layer figures: import of the full daily set, Qlib export (full and incremental), feature cache.

Run on demand (not part of the test suite):
    .venv/bin/python -m tests.benchmarks.bench_data [--data ../shared/data] [--skip-alpha158]

Prints one line per figure. The daily set is imported as it would arrive in practice: history up
to the day before the last trading day, then one "daily update" file holding the last day for
every symbol, so the incremental export is measured on a real one-day change.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

from core.data.importer import discover_files, import_files
from core.data.qlib_export import ExportSummary, export_qlib
from core.storage import MarketStore

REPO = Path(__file__).resolve().parents[2]


def _timed(label: str, fn, rows: int | None = None):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    result = fn()
    seconds = time.perf_counter() - started
    rate = f", {rows / seconds:,.0f} rows/s" if rows else ""
    print(f"{label:<52} {seconds:8.2f} s{rate}", flush=True)
    return result, seconds


def _split_last_day(daily: Path, work: Path) -> tuple[Path, Path, str, int]:
    """Copy each file without the last trading day; collect that day into one update file."""
    files = sorted(daily.glob("*.csv"))
    last_day = max(f.read_text().rstrip().rsplit("\n", 1)[-1][:10] for f in files)
    history, update_rows = work / "history", []
    history.mkdir()
    header = ""
    for f in files:
        lines = f.read_text().rstrip("\n").split("\n")
        header = lines[0]
        if lines[-1].startswith(last_day):
            update_rows.append(f"{f.name[:-4]},{lines[-1]}")
            lines = lines[:-1]
        (history / f.name).write_text("\n".join(lines) + "\n")
    update = work / "update" / "daily_update.csv"
    update.parent.mkdir()
    update.write_text("\n".join([f"symbol,{header}", *update_rows]) + "\n")
    return history, update, last_day, len(update_rows)


def _import(store: MarketStore, paths: list[Path]) -> int:
    rows = 0
    for step in import_files(store, discover_files(paths)):
        assert step.report is not None and step.report.ok, step.report and step.report.error
        rows += step.report.rows
    return rows


def _export(store: MarketStore, directory: Path) -> ExportSummary:
    *_, summary = export_qlib(store, directory)
    assert isinstance(summary, ExportSummary)
    return summary


def bench_alpha158(provider: Path, work: Path) -> None:
    from qlib.contrib.data.loader import Alpha158DL
    from qlib.data import D

    from core.data.feature_cache import FeatureCache
    from core.data.qlib_runtime import init_qlib

    init_qlib(provider, work)
    fields, _names = Alpha158DL.get_feature_config()
    cache = FeatureCache(work / "cache")
    universe = D.instruments("csi300")

    def read():  # type: ignore[no-untyped-def]
        return cache.features(provider, universe, fields, "2008-01-01", "2022-12-31")

    frame, cold = _timed("D.features Alpha158 csi300 2008-2022 cold", read)
    _, warm = _timed("D.features Alpha158 csi300 2008-2022 warm (cache)", read)
    print(f"{'  rows x columns':<52} {frame.shape[0]:,} x {frame.shape[1]}")
    print(f"{'  warm / cold':<52} {warm / cold:8.4f}  ({cold / warm:,.0f}x faster)")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--skip-alpha158", action="store_true")
    args = parser.parse_args()
    daily = args.data / "cn" / "daily"
    work = Path(tempfile.mkdtemp(prefix="qdesk-bench-"))
    try:
        history, update, last_day, n_update = _split_last_day(daily, work)
        store = MarketStore.open(work / "market.sqlite")
        total_rows = sum(len(f.read_bytes().splitlines()) for f in daily.glob("*.csv")) - len(list(daily.glob("*.csv")))
        print(f"cn/daily: {len(list(daily.glob('*.csv')))} files, {total_rows:,} rows; last day {last_day}")
        rows, _ = _timed("import history (869 files)", lambda: _import(store, [history]), rows=total_rows - n_update)
        _timed(f"export-qlib full ({rows:,} rows)", lambda: _export(store, work / "provider"))
        _timed(f"import daily update ({n_update} rows, 1 file)", lambda: _import(store, [update]), rows=n_update)
        summary, _ = _timed("export-qlib incremental (+1 day)", lambda: _export(store, work / "provider"))
        print(
            f"{'  incremental export mode':<52} {summary.mode}: {summary.appended} appended, "
            f"{summary.rewritten} rewritten"
        )
        fresh = MarketStore.open(work / "fresh.sqlite")
        _timed("import all of cn/daily into an empty store", lambda: _import(fresh, [daily]), rows=total_rows)
        _timed("re-import all of cn/daily (nothing changes)", lambda: _import(fresh, [daily]), rows=total_rows)
        membership = args.data / "cn" / "index" / "constituents"
        for name in ("csi300_membership_intervals.csv", "csi500_membership_intervals.csv"):
            _import(store, [membership / name])
        _export(store, work / "provider")
        print(f"{'store size':<52} {(work / 'fresh.sqlite').stat().st_size / 2**20:8.1f} MiB")
        print(
            f"{'provider folder size':<52} "
            f"{sum(p.stat().st_size for p in (work / 'provider').rglob('*') if p.is_file()) / 2**20:8.1f} MiB"
        )
        if not args.skip_alpha158:
            bench_alpha158(work / "provider", work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
