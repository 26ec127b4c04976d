"""Research models over seeds: ours vs Qlib's LightGBM, DoubleEnsemble, ensembles vs their members, rolling vs static.

Run on demand (not part of the test suite):
    .venv/bin/python -m tests.benchmarks.bench_research_models [--data ../shared/data] [--stocks 30|all] [--seeds 3]
    .venv/bin/python -m tests.benchmarks.bench_research_models --full   (every CSI300 stock, 2008 on; hours)

Every figure is the mean ± sample std over the seeds, on two periods measured alike: the development
test (where any choice may be made) and the hold-out 2021-2022 (cn data's last two years: nothing is
chosen on it; the parameters are Qlib's benchmark ones, fixed before any run). The default size (the
first N stocks that were CSI300 members throughout, 2015..2022, fewer boosting rounds and sub-models,
the same for ours and Qlib's) runs in minutes on two cores; --full is every CSI300 stock from 2008 with
Qlib's round counts. Each run goes through the product's own jobs (run_training, run_rolling,
create_ensemble) on a temporary store; Qlib's LGBModel is fitted on Qlib's Alpha158 handler with the same
processors and scored on the same labels. The members are LightGBM and DoubleEnsemble on Alpha158 and
DoubleEnsemble on Alpha360; each ensemble (ENSEMBLES) is made per seed and compared with its better member.
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import tempfile
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

from core.datasets.config import DatasetConfig, Segments
from core.datasets.metrics import signal_metrics
from core.research.config import StartTraining
from core.research.ensemble import create_ensemble
from core.research.registry import RunRegistry
from core.research.rolling import RollingStep, run_rolling
from core.research.training import RunFinished, run_training

REPO = Path(__file__).resolve().parents[2]
METRICS = ("ic", "rank_ic", "icir")
PERIODS = {
    # name: (segments, full-size segments); the hold-out test is 2021-2022 in both
    "development": (
        Segments(("2015-07-01", "2018-12-31"), ("2019-01-01", "2019-12-31"), ("2020-01-01", "2020-12-31")),
        Segments(("2008-01-01", "2014-12-31"), ("2015-01-01", "2016-12-31"), ("2017-01-01", "2020-12-31")),
    ),
    "hold-out 2021-22": (
        Segments(("2015-07-01", "2019-12-31"), ("2020-01-01", "2020-12-31"), ("2021-01-01", "2022-12-31")),
        Segments(("2008-01-01", "2018-12-31"), ("2019-01-01", "2020-12-31"), ("2021-01-01", "2022-12-31")),
    ),
}


def _line(label: str, value: str) -> None:
    print(f"{label:<44} {value}", flush=True)


def _stat(values: list[float]) -> str:
    mean = statistics.fmean(values)
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{mean:+.4f} ± {spread:.4f}"


def _row(label: str, runs: list[dict[str, float]]) -> None:
    _line(label, "  ".join(f"{m} {_stat([r[m] for r in runs])}" for m in METRICS))


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def _store(data: Path, root: Path, stocks: str | None) -> tuple[Path, str | tuple[str, ...]]:
    """A store of `stocks` CSI300 members throughout 2015..2022 ("all": every stock that was a member at some
    time then; None: every stock), and the universe: CSI300 as its membership changed."""
    from tests.core.research.slices import build_slice, members_during

    if stocks is None:
        from tests.benchmarks.bench_research import build_store

        provider = build_store(data, root)
        return provider.parent, "csi300"
    start, end = "2015-01-01", "2022-12-31"
    if stocks == "all":
        import pandas as pd

        def traded(symbol: str) -> bool:  # a member early in 2015 may have stopped trading before it
            days = pd.read_csv(data / "cn" / "daily" / f"{symbol}.csv", usecols=["date"], dtype=str)["date"]
            return bool(((days >= start) & (days <= end)).any())

        symbols = [x for x in members_during(data / "cn", start, end) if traded(x)]
        s = build_slice(data / "cn", root, 0, start, end, symbols=symbols)
    else:
        s = build_slice(data / "cn", root, int(stocks), start, end)
    return s.data_dir, "csi300"


def _train(data_dir: Path, request: StartTraining, rolling: str | None = None) -> str:
    job = run_rolling(request, RollingStep.parse(rolling), data_dir) if rolling else run_training(request, data_dir)
    [done] = [r for r in job if isinstance(r, RunFinished)]
    return done.run_id


def _qlib_lightgbm(config: DatasetConfig, seeds: list[int], rounds: int) -> list[dict[str, float]]:
    """Qlib's Alpha158 handler and LGBModel with the same processors and parameters, scored on Qlib's labels."""
    from qlib.contrib.data.handler import Alpha158
    from qlib.contrib.model.gbdt import LGBModel
    from qlib.data.dataset import DatasetH
    from qlib.data.dataset.handler import DataHandlerLP

    from core.models import create_model
    from core.research.dataset_builder import processor_configs
    from tests.benchmarks.bench_research import _qlib_recorder

    s = config.segments
    infer, learn = processor_configs(config)
    handler = Alpha158(
        instruments=config.universe,
        start_time=s.start,
        end_time=s.end,
        fit_start_time=s.train[0],
        fit_end_time=s.train[1],
        infer_processors=infer,
        learn_processors=learn,
    )
    qds = DatasetH(handler, segments=s.as_dict())
    label = qds.prepare("test", col_set="label", data_key=DataHandlerLP.DK_R).iloc[:, 0]
    own = ("objective", "num_boost_round", "rounds_per_epoch", "early_stop", "stop_metric", "num_threads")
    params = {k: v for k, v in create_model("lightgbm").params.items() if k not in own}
    out = []
    for seed in seeds:
        model = LGBModel(loss="mse", seed=seed, num_threads=os.cpu_count() or 1, **params)
        with _qlib_recorder():
            model.fit(qds, num_boost_round=rounds, early_stopping_rounds=50, verbose_eval=0)
        pred = model.predict(qds, segment="test").reindex(label.index)
        dates = label.index.get_level_values("datetime").to_numpy()
        import numpy as np

        starts = np.flatnonzero(np.concatenate([[True], dates[1:] != dates[:-1]]))
        out.append(signal_metrics(pred.to_numpy(), label.to_numpy(), starts))
    return out


# Per seed, each ensemble of that seed's member runs. The first was chosen on the development period (at
# 100 stocks it beat its better member on all 3 seeds): two strong models on different features, averaged
# on their raw scores (a Pearson IC rewards the scores' spread, which ranking throws away).
ENSEMBLES = (
    ("mean(DoubleEnsemble Alpha158, DoubleEnsemble Alpha360)", ("de158", "de360"), "mean"),
    ("rank-mean(LightGBM, DoubleEnsemble Alpha158)", ("lightgbm", "de158"), "rank-mean"),
)


def period(data_dir: Path, universe: Any, name: str, segments: Segments, seeds: list[int], args: Any) -> None:
    registry = RunRegistry(data_dir)
    config = DatasetConfig("alpha158", universe, segments)
    print(
        f"\n{name}: train {segments.train[0]}..{segments.train[1]}, valid {segments.valid[0]}..{segments.valid[1]}, "
        f"test {segments.test[0]}..{segments.test[1]}",
        flush=True,
    )
    runs: dict[str, list[str]] = {k: [] for k in ("lightgbm", "de158", "de360", "rolling")}
    started = time.perf_counter()
    lgb_params = {"num_threads": args.threads, "num_boost_round": args.rounds}
    de_params = {"num_threads": args.threads, "num_models": args.de_models, "num_boost_round": args.de_rounds}
    for seed in seeds:
        runs["lightgbm"].append(_train(data_dir, StartTraining("lightgbm", config, lgb_params, "cpu", seed=seed)))
        for key, kind in (("de158", "alpha158"), ("de360", "alpha360")):
            request = StartTraining("double_ensemble", replace(config, kind=kind), de_params, "cpu", seed=seed)
            runs[key].append(_train(data_dir, request))
        if args.rolling != "none":
            runs["rolling"].append(
                _train(data_dir, StartTraining("lightgbm", config, lgb_params, "cpu", seed=seed), args.rolling)
            )
    seconds = time.perf_counter() - started
    metrics = {k: [registry.get(r).metrics for r in ids] for k, ids in runs.items()}
    _row(f"ours LightGBM ({len(seeds)} seeds)", metrics["lightgbm"])
    if not args.skip_qlib:
        qlib = _qlib_lightgbm(config, seeds, args.rounds)
        _row("Qlib LGBModel (same data, same labels)", qlib)
        qlib_ic = statistics.fmean(m["ic"] for m in qlib)
        _line("  ours minus Qlib, IC", f"{statistics.fmean(m['ic'] for m in metrics['lightgbm']) - qlib_ic:+.4f}")
    de = f"{args.de_models} x {args.de_rounds} rounds"
    for key, kind in (("de158", "Alpha158"), ("de360", "Alpha360")):
        _row(f"DoubleEnsemble {kind} ({de})", metrics[key])
        if not args.skip_qlib:
            _line("  minus Qlib LGBModel, IC", f"{statistics.fmean(m['ic'] for m in metrics[key]) - qlib_ic:+.4f}")
    for label, keys, method in ENSEMBLES:
        made = [create_ensemble(registry, [runs[k][i] for k in keys], method).metrics for i in range(len(seeds))]
        best = [max(metrics[k][i]["ic"] for k in keys) for i in range(len(seeds))]
        gain = [m["ic"] - b for m, b in zip(made, best, strict=True)]
        _row(f"ensemble {label}", made)
        _line("  minus its better member, IC", f"{_stat(gain)}  per seed {' '.join(f'{g:+.4f}' for g in gain)}")
    if len(seeds) > 1:
        for label, members in (("LightGBM seeds", runs["lightgbm"]), ("DoubleEnsemble Alpha158 seeds", runs["de158"])):
            record = create_ensemble(registry, members, "mean")
            best_member = max(registry.get(r).metrics["ic"] for r in members)
            _line(
                f"ensemble mean({label})",
                f"ic {record.metrics['ic']:+.4f}  minus its best member, IC {record.metrics['ic'] - best_member:+.4f}",
            )
    if args.rolling != "none":
        _row(f"LightGBM rolling {args.rolling} (expanding)", metrics["rolling"])
        diff = [r["ic"] - s["ic"] for r, s in zip(metrics["rolling"], metrics["lightgbm"], strict=True)]
        _line("  rolling minus static, IC", _stat(diff))
    _line("seconds, load average", f"{seconds:.0f} s  load {_load()}  peak RSS {_rss_mb():,.0f} MB")


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument(
        "--stocks",
        default="30",
        help="CSI300 members throughout 2015-2022 (default 30), or all: every member at some time in 2015-2022",
    )
    parser.add_argument("--full", action="store_true", help="every CSI300 stock from 2008 (the real size)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--rolling", help="rolling step (default 6m; --full 3m), or none")
    parser.add_argument("--rounds", type=int, help="most LightGBM rounds, ours and Qlib's (default 100; --full 1000)")
    parser.add_argument("--de-models", type=int, help="DoubleEnsemble sub-models (default 3; --full 6 as Qlib)")
    parser.add_argument("--de-rounds", type=int, help="rounds per sub-model (default 50; --full 136 as Qlib)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-qlib", action="store_true")
    parser.add_argument("--periods", default="development,hold-out 2021-22")
    args = parser.parse_args()
    if args.stocks != "all" and not (args.stocks.isdigit() and int(args.stocks) > 0):
        parser.error(f"--stocks: {args.stocks!r} is neither a count of stocks nor all")
    for key, small, full in (
        ("rolling", "6m", "3m"),
        ("rounds", 100, 1000),
        ("de_models", 3, 6),
        ("de_rounds", 50, 136),
    ):
        if getattr(args, key) is None:
            setattr(args, key, full if args.full else small)
    seeds = list(range(args.seeds))
    print(f"load average at start {_load()}", flush=True)
    with tempfile.TemporaryDirectory(prefix="qdesk-bench-models-") as tmp:
        t = time.perf_counter()
        data_dir, universe = _store(args.data, Path(tmp), None if args.full else args.stocks)
        _line(
            "store + Qlib export",
            f"{time.perf_counter() - t:.0f} s ({'all CSI300' if args.full else args.stocks} stocks)",
        )
        for name in args.periods.split(","):
            small, full = PERIODS[name]
            period(data_dir, universe, name, full if args.full else small, seeds, args)


if __name__ == "__main__":
    main()
