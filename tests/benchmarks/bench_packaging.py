"""Packaging figures: staging time per app, staged source size, installed size of each app's runtime packages.

Run from the repository root: .venv/bin/python -m tests.benchmarks.bench_packaging   (prints figures only)
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from installer.package import SPEC, stage
from installer.packaging_rules import load_spec
from installer.packaging_size import app_sizes


def _tree_size(path: Path) -> tuple[int, int]:
    files = [p for p in path.rglob("*") if p.is_file()]
    return len(files), sum(p.stat().st_size for p in files)


def main() -> None:
    spec = load_spec(SPEC)
    with tempfile.TemporaryDirectory(prefix="qdesk-bench-stage-") as tmp:
        for app in ("qdesk", "qdesk-bridge"):
            started = time.perf_counter()
            pyproject = stage(app, Path(tmp), vendor=False)
            elapsed = time.perf_counter() - started
            count, size = _tree_size(pyproject.parent / "src")
            print(f"{app}: staged {count} files, {size / 2**20:.1f} MiB of sources in {elapsed:.2f} s")
    for app in ("qdesk", "qdesk-bridge"):
        sizes, missing = app_sizes(spec, app)
        top = ", ".join(f"{n} {s / 2**20:.0f}" for n, s in sorted(sizes.items(), key=lambda kv: -kv[1])[:5])
        print(
            f"{app}: {len(sizes)} runtime distributions, {sum(sizes.values()) / 2**20:,.0f} MiB installed "
            f"(largest, MiB: {top})" + (f"; not installed here: {', '.join(sorted(missing))}" if missing else "")
        )


if __name__ == "__main__":
    main()
