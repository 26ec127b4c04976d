"""Daily-loop figures: score one new day (CSI300, Alpha158, LightGBM) vs Qlib's handler; a year of routine simulate.

Run on demand (not part of the test suite):
    .venv/bin/python -m tests.benchmarks.bench_daily [--data ../shared/data] [--stocks N] [--work DIR]

Imports the CSI300 members of 2019–2021 (bars trimmed to 2018-07..2021-12) into a temporary store,
trains LightGBM on Alpha158 (train 2019, valid 2020H1, test 2020H2, 50 rounds), then prints:
- scoring the newest day (2021-12-31) with `score_days` (columnar features over the day's look-back
  window), next to the same window read through Qlib's loader (the path it replaced), their largest
  score difference, and with --handler Qlib's own Alpha158 handler rebuilt over that window;
- `routine simulate` over 2021 with TopK50/drop 5: wall time, and the largest daily equity gap against
  the backtest of its scores.csv with the same strategy, cash and open deal price.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
START, END = "2018-07-01", "2021-12-31"
DAY = "2021-12-31"
SEGMENTS = "2019-01-01:2019-12-31,2020-01-01:2020-06-30,2020-07-01:2020-12-31"


def _line(label: str, value: str) -> None:
    print(f"{label:<60} {value}", flush=True)


def prepare(data: Path, work: Path, stocks: int | None) -> Path:
    import pandas as pd

    from core.data.importer import import_files
    from core.storage import MarketStore

    spans = pd.read_csv(data / "cn" / "index" / "constituents" / "csi300_membership_intervals.csv", dtype=str)
    members = sorted(set(spans[(spans["start"] <= END) & (spans["end"] >= "2019-01-01")]["symbol"]))
    members = [s for s in members if (data / "cn" / "daily" / f"{s}.csv").exists()][:stocks]
    csv_dir = work / "csv"
    csv_dir.mkdir(parents=True, exist_ok=True)
    for symbol in members:
        frame = pd.read_csv(data / "cn" / "daily" / f"{symbol}.csv", dtype={"date": str})
        frame[(frame["date"] >= START) & (frame["date"] <= END)].to_csv(csv_dir / f"{symbol}.csv", index=False)
    spans[spans["symbol"].isin(members)].to_csv(csv_dir / "csi300_membership_intervals.csv", index=False)
    data_dir = work / "data"
    data_dir.mkdir(exist_ok=True)
    started = time.perf_counter()
    store = MarketStore.open(data_dir / "market.sqlite")
    try:
        for _ in import_files(store, sorted(csv_dir.iterdir())):
            pass
    finally:
        store.close()
    _line(f"import {len(members)} CSI300 members {START}..{END}", f"{time.perf_counter() - started:8.1f} s")
    return data_dir


def train(data_dir: Path) -> str:
    from core.datasets.config import DatasetConfig, Segments
    from core.research.config import StartTraining
    from core.research.training import RunFinished, run_training

    config = DatasetConfig("alpha158", "csi300", Segments.parse(SEGMENTS))
    request = StartTraining("lightgbm", config, {"num_boost_round": 50, "early_stop": 0}, device="cpu")
    started = time.perf_counter()
    done = [r for r in run_training(request, data_dir) if isinstance(r, RunFinished)][0]
    _line("export + Alpha158 build + LightGBM 50 rounds", f"{time.perf_counter() - started:8.1f} s")
    return done.run_id


def score_one_day(data_dir: Path, run_id: str, handler: bool) -> None:
    import numpy as np

    from core.research.scoring import Scores, score_days

    def timed(engine: str, export: bool) -> tuple[Scores, float]:
        started = time.perf_counter()
        *_, result = score_days(data_dir, run_id, DAY, DAY, engine=engine, export=export)
        assert isinstance(result, Scores)
        return result, time.perf_counter() - started

    first, cold = timed("columnar", True)
    _line(f"ours, first call in the process (imports, export check, {len(first.frame)} stocks)", f"{cold:8.2f} s")
    ours, warm = timed("columnar", False)
    _line(f"ours: score {DAY} columnar over bars from {ours.read_from}", f"{warm:8.2f} s")
    peer, before = timed("qlib", False)
    _line(f"before: the same window through Qlib's loader ({len(peer.frame)} stocks)", f"{before:8.2f} s")
    _line("ratio before / ours", f"{before / warm:8.1f}")
    gap = np.abs(ours.frame["score"].to_numpy() - peer.frame["score"].to_numpy()).max()
    same = ours.frame[["datetime", "instrument"]].equals(peer.frame[["datetime", "instrument"]])
    _line(f"largest score difference ours vs Qlib's loader (same rows: {same})", f"{gap:8.1e}")
    if not handler:
        return
    from qlib.contrib.data.handler import Alpha158

    started = time.perf_counter()
    frame = Alpha158(
        instruments="csi300", start_time=DAY, end_time=DAY, infer_processors=[], learn_processors=[]
    ).fetch(col_set="feature")
    _line(
        f"Qlib: Alpha158 handler rebuilt over the same window ({len(frame)} rows)",
        f"{time.perf_counter() - started:8.2f} s",
    )


def simulate_year(data_dir: Path, run_id: str, work: Path) -> None:
    from core.backtest.engine import BacktestConfig
    from core.backtest.run import BacktestResult, run_backtest
    from core.backtest.signals import read_signal_file
    from core.routine.simulate import SimulationFinished, simulate_routine
    from core.storage import MarketStore
    from core.strategy.topk_dropout import TopkDropoutStrategy

    start, end, cash = dt.date(2021, 1, 4), dt.date(2021, 12, 31), 10_000_000.0
    out = work / "sim"
    started = time.perf_counter()
    *_, done = simulate_routine(data_dir, run_id, start, end, TopkDropoutStrategy(50, 5), out, cash)
    wall = time.perf_counter() - started
    assert isinstance(done, SimulationFinished)
    _line(f"routine simulate 2021 TopK50/5: {done.days} days, {done.fills} fills", f"{wall:8.1f} s")
    store = MarketStore.open(data_dir / "market.sqlite")
    try:
        started = time.perf_counter()
        config = BacktestConfig(start, end, "open", cash, None)
        *_, result = run_backtest(store, read_signal_file(out / "scores.csv"), TopkDropoutStrategy(50, 5), config)
        _line("backtest of the same scores.csv (peer)", f"{time.perf_counter() - started:8.1f} s")
    finally:
        store.close()
    assert isinstance(result, BacktestResult)
    import pandas as pd

    daily = pd.read_csv(out / "daily.csv", index_col="date")["equity"].to_numpy()
    gap = abs(daily / result.daily["equity"].to_numpy() - 1).max()
    _line("largest daily equity gap, simulate vs backtest", f"{gap:8.2e}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--stocks", type=int, default=None, help="first N members only (default: all)")
    parser.add_argument("--work", type=Path, default=None, help="keep the store and run here (reused when rerun)")
    parser.add_argument("--only", choices=["score", "simulate"], help="run one of the two figures")
    parser.add_argument("--handler", action="store_true", help="also rebuild Qlib's Alpha158 handler (minutes)")
    args = parser.parse_args()
    _line("load average", " ".join(f"{x:.2f}" for x in os.getloadavg()))
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        data_dir = work / "data"
        run_file = work / "run_id.txt"
        if not run_file.exists():
            data_dir = prepare(args.data, work, args.stocks)
            run_file.write_text(train(data_dir))
        run_id = run_file.read_text().strip()
        if args.only != "simulate":
            score_one_day(data_dir, run_id, args.handler)
        if args.only != "score":
            simulate_year(data_dir, run_id, work)
    _line("load average", " ".join(f"{x:.2f}" for x in os.getloadavg()))


if __name__ == "__main__":
    sys.path.insert(0, str(REPO))
    main()
