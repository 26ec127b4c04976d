"""Peak memory of an end-to-end `main.py train` (CSI300 LightGBM on Alpha158): the whole process, export to scores.

Run on demand (not part of the test suite):
    .venv/bin/python -m tests.benchmarks.bench_train_memory [--data ../shared/data] [--data-dir DIR]
        [--segments 2008-01-01:2014-12-31,2015-01-01:2016-12-31,2017-01-01:2020-12-31] [--cold]

Without --data-dir every stock of cn/daily and the CSI300 membership are imported into a temporary store
first (not measured). The train command runs as a child process (with --data-dir, --cold first removes the
Qlib export and the dataset cache, as on a fresh store) and its peak resident set size is
read from the OS (getrusage of the waited child), printed beside the 2 GB target, the 5.1 GB the issue
measured, and the load average before and after.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
TARGET_MB = 2048
ISSUE_MB = 5.1 * 1024  # the issue's figure for the same command before the memory work


def _line(label: str, value: str) -> None:
    print(f"{label:<44} {value}", flush=True)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _import(data: Path, data_dir: Path) -> None:
    started = time.perf_counter()
    membership = data / "cn" / "index" / "constituents" / "csi300_membership_intervals.csv"
    files = [str(data / "cn" / "daily"), str(membership)]
    subprocess.run(
        [sys.executable, str(REPO / "main.py"), "--data-dir", str(data_dir), "data", "import", *files],
        check=True,
        stdout=subprocess.DEVNULL,
    )
    _line("store import (not measured)", f"{time.perf_counter() - started:8.1f} s")


def measure(data_dir: Path, segments: str) -> float:
    """Run the train command; its peak RSS in MB."""
    command = [sys.executable, str(REPO / "main.py"), "--data-dir", str(data_dir), "train", "--model", "lightgbm"]
    command += ["--dataset", "alpha158", "--universe", "csi300", "--segments", segments]
    _line("load average before", _load())
    started = time.perf_counter()
    done = subprocess.run(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, check=True)
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    for line in done.stdout.strip().splitlines():
        _line("  train", line)
    _line("train wall time", f"{seconds:8.1f} s")
    _line("load average after", _load())
    return peak_mb


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--data-dir", type=Path, help="an existing data folder with the cn store imported")
    parser.add_argument("--segments", default="2008-01-01:2014-12-31,2015-01-01:2016-12-31,2017-01-01:2020-12-31")
    parser.add_argument(
        "--cold", action="store_true", help="remove DATA_DIR/cache and DATA_DIR/qlib first (export and dataset built)"
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qdesk-bench-train-memory-") as tmp:
        data_dir = args.data_dir or Path(tmp) / "data"
        if args.data_dir is None:
            _import(args.data, data_dir)
        elif args.cold:  # as on a fresh store: the Qlib export and the dataset are made by this run
            shutil.rmtree(data_dir / "cache", ignore_errors=True)
            shutil.rmtree(data_dir / "qlib", ignore_errors=True)
        _line("segments", args.segments)
        peak = measure(data_dir, args.segments)
    _line("peak RSS of `train` (ours)", f"{peak:8,.0f} MB")
    _line("peak RSS in the issue (before)", f"{ISSUE_MB:8,.0f} MB")
    _line("target", f"{TARGET_MB:8,.0f} MB  {'met' if peak < TARGET_MB else 'NOT met'}")


if __name__ == "__main__":
    main()
