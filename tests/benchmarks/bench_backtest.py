"""Backtest figures: TopkDropout (topk 50, n_drop 5) on CSI300 2017–2020, ours vs qlib.backtest, one run.

Run on demand (not part of the test suite):
    .venv/bin/python -m tests.benchmarks.bench_backtest [--data ../shared/data] [--skip-qlib]

The signal is deterministic: the 20-day change of the adjusted close of each day's CSI300 members, rounded to
8 decimals, so equal scores (ties) occur and the reconciliation covers Qlib's tie order.
Each engine runs in its own process, so wall time and peak memory (RSS) are its own. Three runs:
  ours (A-share rules)  T+1, board limits by date, lots, commission 0.025% min 5, stamp duty, transfer fee
  ours (Qlib settings)  --mode qlib (Qlib's tie order, limits on the close), T+0, flat 9.5% limit, open cost
                        0.05%, close cost 0.15%, min cost 5, close price
  qlib.backtest         the same settings, on a provider folder exported from the same store
and the largest daily difference of account value between the last two (the reconciliation).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import types
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

START, END = "2017-01-03", "2020-12-31"
CASH = 100_000_000.0


def _status_mb(field: str) -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # no /proc: the process's peak


def _base_mb() -> float:
    """Current RSS, and restart the peak counter (Linux: clear_refs 5), so the peak is the run's own."""
    with contextlib.suppress(OSError):
        Path("/proc/self/clear_refs").write_text("5")
    return _status_mb("VmRSS")


def _rss_mb() -> float:
    return _status_mb("VmHWM")


def prepare(data: Path, work: Path) -> None:
    import pandas as pd

    from core.data.importer import import_files
    from core.data.qlib_export import export_qlib
    from core.storage import MarketStore

    members = pd.read_csv(data / "cn" / "index" / "constituents" / "csi300_membership_intervals.csv")
    members = members[(members["start"] <= END) & (members["end"] >= "2016-11-01")]
    files = [data / "cn" / "daily" / f"{s}.csv" for s in sorted(set(members["symbol"]))]
    files = [f for f in files if f.exists()]
    files += [
        data / "cn" / "index" / "daily" / "000300.SH.csv",
        data / "cn" / "index" / "constituents" / "csi300_membership_intervals.csv",
    ]
    store = MarketStore.open(work / "market.sqlite")
    t = time.perf_counter()
    for _ in import_files(store, files):
        pass
    seconds = time.perf_counter() - t
    print(f"prepare: imported {len(files) - 2} CSI300 stocks 2007–2022 in {seconds:.1f} s", flush=True)
    t = time.perf_counter()
    for _ in export_qlib(store, work / "provider"):
        pass
    print(f"prepare: exported the Qlib provider in {time.perf_counter() - t:.1f} s", flush=True)
    rows = []
    spans = members.groupby("symbol")
    for symbol, iv in spans:
        b = store.read_bars(symbol, "1d", "2016-10-01", END)
        if b.empty:
            continue
        adj = b["close"] * b["factor"]
        day = b["time"]
        member = pd.Series(False, index=b.index)
        for start, end in zip(iv["start"], iv["end"], strict=True):
            member |= (day >= start) & (day <= end)
        frame = pd.DataFrame(
            {"datetime": pd.to_datetime(day), "instrument": symbol, "score": (adj / adj.shift(20) - 1).round(8)}
        )
        rows.append(frame[member & frame["score"].notna()])
    signals = pd.concat(rows).set_index(["datetime", "instrument"]).sort_index()
    signals.to_parquet(work / "signals.parquet")
    store.close()
    days = signals.index.get_level_values(0)
    print(
        f"prepare: {len(signals):,} scores, {days.nunique()} days, "
        f"{signals.index.get_level_values(1).nunique()} symbols",
        flush=True,
    )


def run_ours(work: Path, qlib_settings: bool) -> dict[str, float]:
    import datetime as dt

    import pandas as pd

    from core.backtest.engine import BacktestConfig
    from core.backtest.run import run_backtest
    from core.rules.engine import RuleConfig
    from core.rules.fees import CostModel
    from core.storage import MarketStore
    from core.strategy.topk_dropout import TopkDropoutStrategy

    signals = pd.read_parquet(work / "signals.parquet")
    base = _base_mb()
    store = MarketStore.open(work / "market.sqlite")
    if qlib_settings:
        rules = RuleConfig(
            t_plus_1=False,
            trade_unit=100,
            costs=CostModel(
                commission_rate=0.0005,
                sell_commission_rate=0.0015,
                min_commission=5.0,
                stamp_duty=False,
                transfer_fee=False,
            ),
        )
        config = BacktestConfig(
            dt.date.fromisoformat(START),
            dt.date.fromisoformat(END),
            "close",
            CASH,
            "000300.SH",
            rules,
            flat_limit=0.095,
            mode="qlib",
        )
    else:
        config = BacktestConfig(dt.date.fromisoformat(START), dt.date.fromisoformat(END), "open", CASH)
    t = time.perf_counter()
    result = None
    strategy = TopkDropoutStrategy(topk=50, n_drop=5, ties="qlib" if qlib_settings else "code")
    for item in run_backtest(store, signals, strategy, config):
        result = item
    wall = time.perf_counter() - t
    assert result is not None and not isinstance(result, int)
    result.daily["equity"].to_csv(work / f"ours_{int(qlib_settings)}.csv")  # type: ignore[union-attr]
    m = result.metrics  # type: ignore[union-attr]
    return {
        "wall_s": wall,
        "rss_peak_mb": _rss_mb(),
        "rss_base_mb": base,
        "total_return": m["total_return"],
        "excess_return": m.get("excess_return", float("nan")),
        "trades": m["trades"],
        "refused": sum(result.refused.values()),
    }  # type: ignore[union-attr]


def _shim_optional_imports() -> None:
    """qlib.strategy.base imports qlib.rl, which imports gym for its RL interfaces only, and qlib.contrib.strategy
    imports cvxpy for its portfolio optimizer; the daily TopkDropout backtest touches neither, so empty
    stand-ins let it import without installing them."""
    try:
        import cvxpy  # noqa: F401
    except ImportError:
        sys.modules["cvxpy"] = types.ModuleType("cvxpy")
    try:
        import gym  # noqa: F401
    except ImportError:
        gym = types.ModuleType("gym")
        spaces = types.ModuleType("gym.spaces")
        for name in ("Space", "Dict", "Tuple", "Box", "Discrete"):
            setattr(spaces, name, type(name, (), {}))
        gym.Space = spaces.Space  # type: ignore[attr-defined]
        gym.spaces = spaces  # type: ignore[attr-defined]
        sys.modules["gym"], sys.modules["gym.spaces"] = gym, spaces


def run_qlib(work: Path) -> dict[str, float]:
    import pandas as pd

    _shim_optional_imports()
    import qlib
    from qlib.backtest import backtest
    from qlib.backtest.executor import SimulatorExecutor
    from qlib.contrib.strategy import TopkDropoutStrategy

    from core.domain.symbols import parse_symbol

    qlib.init(
        provider_uri=str(work / "provider"),
        region="cn",
        kernels=1,
        exp_manager={
            "class": "MLflowExpManager",
            "module_path": "qlib.workflow.expm",
            "kwargs": {"uri": f"file:{work / 'mlruns'}", "default_exp_name": "bench"},
        },
    )
    signals = pd.read_parquet(work / "signals.parquet")
    codes = {s: parse_symbol(s).qlib_code for s in signals.index.get_level_values(1).unique()}
    signals.index = signals.index.set_levels([codes[s] for s in signals.index.levels[1]], level=1)
    base = _base_mb()
    t = time.perf_counter()
    strategy = TopkDropoutStrategy(signal=signals["score"], topk=50, n_drop=5)
    executor = SimulatorExecutor(time_per_step="day", generate_portfolio_metrics=True)
    portfolio, _ = backtest(
        START,
        END,
        strategy,
        executor,
        benchmark="SH000300",
        account=CASH,
        exchange_kwargs={
            "freq": "day",
            "limit_threshold": 0.095,
            "deal_price": "close",
            "open_cost": 0.0005,
            "close_cost": 0.0015,
            "min_cost": 5,
        },
    )
    wall = time.perf_counter() - t
    report = portfolio["1day"][0]
    report["account"].to_csv(work / "qlib.csv")
    return {
        "wall_s": wall,
        "rss_peak_mb": _rss_mb(),
        "rss_base_mb": base,
        "total_return": float(report["account"].iloc[-1] / CASH - 1),
    }


def child(mode: str, work: Path) -> dict[str, float]:
    cmd = [sys.executable, "-m", "tests.benchmarks.bench_backtest", "--child", mode, "--work", str(work)]
    env = {**os.environ, "PYTHONPATH": str(REPO)}  # the child runs in `work`, away from the repository
    out = subprocess.run(cmd, cwd=work, env=env, capture_output=True, text=True, timeout=3000)
    if out.returncode != 0:
        raise RuntimeError(f"{mode} failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--skip-qlib", action="store_true")
    parser.add_argument("--child", choices=["ours", "ours-qlib", "qlib"])
    parser.add_argument("--work", type=Path, help="keep the prepared store, provider and signals here (reused)")
    args = parser.parse_args()
    if args.child:
        fn = {
            "ours": lambda: run_ours(args.work, False),
            "ours-qlib": lambda: run_ours(args.work, True),
            "qlib": lambda: run_qlib(args.work),
        }[args.child]
        print(json.dumps(fn()))
        return
    with tempfile.TemporaryDirectory(prefix="qdesk-bench-bt-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        if not (work / "signals.parquet").exists():
            prepare(args.data, work)
        figures = {"ours (A-share rules)": child("ours", work), "ours (Qlib settings)": child("ours-qlib", work)}
        if not args.skip_qlib:
            figures["qlib.backtest"] = child("qlib", work)
        print(f"\n{'engine':<24}{'wall s':>9}{'peak RSS MB':>13}{'run adds MB':>13}{'total return':>14}")
        for name, f in figures.items():
            print(
                f"{name:<24}{f['wall_s']:9.2f}{f['rss_peak_mb']:13.0f}{f['rss_peak_mb'] - f['rss_base_mb']:13.0f}"
                f"{f['total_return']:14.2%}"
            )
        ours = figures["ours (A-share rules)"]
        print(f"ours (A-share rules): {ours['trades']:.0f} trades, {ours['refused']:.0f} orders refused by rules")
        if "qlib.backtest" in figures:
            q = figures["qlib.backtest"]
            print(
                f"speed-up vs qlib.backtest: {q['wall_s'] / figures['ours (Qlib settings)']['wall_s']:.1f}x "
                f"(Qlib settings), {q['wall_s'] / ours['wall_s']:.1f}x (A-share rules)"
            )
            _reconcile(work)


def _reconcile(work: Path) -> None:
    import pandas as pd

    ours = pd.read_csv(work / "ours_1.csv", index_col=0, parse_dates=True)["equity"]
    theirs = pd.read_csv(work / "qlib.csv", index_col=0, parse_dates=True)["account"]
    both = pd.concat([ours, theirs], axis=1, join="inner").dropna()
    diff = (both.iloc[:, 0] / both.iloc[:, 1] - 1).abs()
    print(
        f"reconciliation (Qlib settings): {len(both)} common days, largest daily account difference "
        f"{diff.max():.4%} on {diff.idxmax().date()}, median {diff.median():.4%}, "
        f"last day {diff.iloc[-1]:.4%}"
    )


if __name__ == "__main__":
    main()
