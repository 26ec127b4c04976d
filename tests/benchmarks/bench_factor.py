"""Factor lab figure: `factor eval` of one expression on CSI300 2008-2022, beside Qlib's D.features of it.

Run on demand (not part of the test suite):
    .venv/bin/python -m tests.benchmarks.bench_factor [--data ../shared/data] [--data-dir DIR]
        [--expression "Corr($close, Log($volume+1), 10)"] [--start 2008-01-01] [--end 2022-12-31]

Imports every stock of cn/daily with the CSI300 membership into a temporary store (or reuses the store of
--data-dir) and exports it for Qlib. Then, in the same process and on the same export: our columnar
engine computing the factor alone; the whole `factor eval` job (factor, 20 forward-return horizons,
IC/Rank IC per day and horizon, quantiles, turnover, coverage); and Qlib's D.features for the factor
alone on its CSI300 instruments file over the same days (its default worker processes). Values are compared, and the
load average printed, since the machine may be shared.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import numpy as np

from tests.benchmarks.bench_research import REPO, _line, _rss_mb, build_store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--data-dir", type=Path, help="a data folder to reuse (filled with cn/daily if empty)")
    parser.add_argument("--expression", default="Corr($close, Log($volume+1), 10)")
    parser.add_argument("--start", default="2008-01-01")
    parser.add_argument("--end", default="2022-12-31")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="qdesk-bench-factor-") as tmp:
        data_dir = args.data_dir or Path(tmp)
        if not (data_dir / "market.sqlite").exists():  # a --data-dir without a store is filled for next time
            data_dir.mkdir(parents=True, exist_ok=True)
            build_store(args.data, data_dir)
        run(data_dir, args.expression, args.start, args.end)


def run(data_dir: Path, expression: str, start: str, end: str) -> None:
    from core.data.qlib_runtime import init_qlib
    from core.jobs import CancelToken
    from core.research.dataset_builder import universe_spans
    from core.research.factors.engine import EvaluateFactor, FactorEvaluated, run_factor_eval
    from core.research.factors.expression import normalise
    from core.research.factors.operators import FACTOR_OPERATORS
    from core.research.feature_blocks import compute_features
    from core.research.training import export_store

    for _ in export_store(data_dir, CancelToken()):
        pass
    provider = data_dir / "qlib"
    init_qlib(provider, data_dir / "work")
    text = normalise(expression)
    spans = universe_spans("csi300", start, end)
    _line(f"factor {text} on CSI300 {start}..{end}", f"{len(spans)} instruments")

    started = time.perf_counter()
    *_, ours = compute_features(provider, spans, start, end, [text], ["f"], "$close", operators=FACTOR_OPERATORS)
    ours_s = time.perf_counter() - started
    _line("ours: the factor's values (columnar engine)", f"{ours_s:8.2f} s  ({len(ours):,} rows)")

    started = time.perf_counter()
    request = EvaluateFactor(expression, "csi300", start, end)
    [done] = [r for r in run_factor_eval(request, data_dir) if isinstance(r, FactorEvaluated)]
    eval_s = time.perf_counter() - started
    s = done.result.summary
    _line(
        "ours: factor eval (20 horizons, quantiles, turnover)",
        f"{eval_s:8.2f} s  IC {s['ic']:+.4f}  Rank IC {s['rank_ic']:+.4f}  peak RSS {_rss_mb():,.0f} MB",
    )

    from qlib.data import D

    started = time.perf_counter()
    # Qlib reads the membership spans itself from the instruments file, as its handlers do.
    theirs = D.features(D.instruments("csi300"), [text], start_time=start, end_time=end, freq="day")
    qlib_s = time.perf_counter() - started
    _line("Qlib: D.features of the factor (same instruments, days)", f"{qlib_s:8.2f} s  ({len(theirs):,} rows)")

    theirs = theirs.sort_index()
    ours = ours.droplevel(0, axis=1).sort_index()
    ours.index = ours.index.set_names(theirs.index.names)
    a = theirs.iloc[:, 0].reindex(ours.index).to_numpy(dtype=np.float64)
    b = ours.iloc[:, 0].to_numpy(dtype=np.float64)
    same_nan = bool((np.isnan(a) == np.isnan(b)).all()) and len(theirs) == len(ours)
    close = same_nan and bool(np.allclose(a[~np.isnan(a)], b[~np.isnan(a)], rtol=2e-5, atol=2e-6))
    _line("values equal (float32 tolerance, NaN at the same rows)", "yes" if close else "NO")
    _line("Qlib / ours (factor values)", f"{qlib_s / ours_s:8.1f} x")
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    _line("load average (1, 5, 15 min)", f"{load}  on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
