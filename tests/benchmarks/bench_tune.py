"""Study figures: LightGBM trials/hour with 1 and 2 local workers; a Ray trial's overhead over a local one.

Run on demand (not part of the test suite):
    .venv/bin/python -m tests.benchmarks.bench_tune [--data ../shared/data] [--stocks 40] [--trials 6]
        [--rounds 100] [--ray-repeats 3] [--no-ray | --only-ray]

Imports `--stocks` CSI300 members (2010-2013) into a temporary store, builds Alpha158 on them once, then
runs the same study (`--trials` LightGBM trials, `--rounds` boosting rounds each, no pruning) with one
and with two workers and prints trials/hour for each. With Ray: starts a local Ray head (2 CPUs) on
loopback, ships the dataset to its object store once, and times the same trial as a Ray task and
locally, alternately, `--ray-repeats` times each after one warm-up; the difference is Ray's per-trial
overhead. On a loaded machine the figures move with the load average printed beside them.

    .venv/bin/python -m tests.benchmarks.bench_tune --csi300-study [--segments 2015:2016,2017:2018,2019:2020]
        [--trials 20] [--seeds 3] [--rounds 300]

Best valid IC after `--trials` TPE trials vs Qlib's benchmark LightGBM parameters on CSI300 Alpha158 (every
member in the span; 2021-2022 untouched): the benchmark parameters are trained `--seeds` times through our
LightGBM and scored on valid and test alike; the study (default space, median pruner, valid IC, at most
`--rounds` rounds a trial) prints each trial as it ends; the best trial is retrained and scored once on test,
and its parameters are trained with the other seeds too. The two-year train window keeps the whole run
near half an hour on two busy cores.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from core.datasets.config import DatasetConfig, Segments
from core.research.config import StartTraining
from core.research.registry import RunRegistry
from core.research.search_space import Range, default_space
from core.research.study_request import StartStudy, StudyFinished, TrialFinished, TrialStarted
from core.research.trial_task import TrialTask, fit_trial
from core.research.tuning import run_study
from tests.core.research.slices import build_slice, dataset_for, members_during, tiny_config
from tests.realdata import shared_data_dir

SPACE = {
    "learning_rate": Range(0.01, 0.3, log=True),
    "num_leaves": Range(8, 64, integer=True, log=True),
    "lambda_l2": Range(1e-3, 10.0, log=True),
}


def _line(label: str, value: str) -> None:
    print(f"{label:<52} {value}", flush=True)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def trials_per_hour(slice_: Any, root: Path, workers: int, trials: int, fixed: dict[str, Any]) -> float:
    """Trials/hour over the trial phase only (the dataset is cached, the best's retrain not counted)."""
    training = StartTraining("lightgbm", tiny_config(slice_, count=len(slice_.symbols)), fixed, device="cpu")
    request = StartStudy(f"w{workers}", training, SPACE, trials, workers=workers, prune_startup=trials)
    first = last = 0.0
    ended = 0
    store = root / f"studies-{workers}.sqlite"
    for report in run_study(
        request, slice_.data_dir, registry=RunRegistry(root / f"runs{workers}"), storage_file=store
    ):
        if isinstance(report, TrialStarted) and not first:
            first = time.perf_counter()
        elif isinstance(report, TrialFinished):
            last = time.perf_counter()
            ended += report.state == "complete"
    return ended / (last - first) * 3600


def ray_overhead(dataset: Any, task: TrialTask, repeats: int) -> None:
    from core.research.execution import RayExecutor, RayOptions
    from tests.core.research.ray_head import local_ray_head

    # Local and Ray runs alternate with the head up, so both meet the same load on a shared machine.
    local: list[float] = []
    remote: list[float] = []
    with local_ray_head(cpus=2) as head:
        started = time.perf_counter()
        executor = RayExecutor(RayOptions(head.address, cpus=1.0, slots=1))
        connect = time.perf_counter() - started
        try:
            started = time.perf_counter()
            shared = executor.share(dataset)
            put = time.perf_counter() - started
            for _ in range(repeats + 1):
                started = time.perf_counter()
                fit_trial(dataset, task)
                local.append(time.perf_counter() - started)
                started = time.perf_counter()
                executor.submit(fit_trial, shared, task).result()
                remote.append(time.perf_counter() - started)
        finally:
            executor.close()
    _line("Ray: connect to the head (driver start)", f"{connect:.2f} s")
    _line("Ray: dataset into the object store (once)", f"{put:.2f} s")
    _line("first trial: Ray (cold worker) | local", f"{remote[0]:.2f} s | {local[0]:.2f} s")
    warm_r, warm_l = statistics.median(remote[1:]), statistics.median(local[1:])
    _line(f"trial, median of {repeats}: Ray | local", f"{warm_r:.2f} s | {warm_l:.2f} s")
    _line("Ray overhead per trial (warm)", f"{warm_r - warm_l:+.2f} s ({(warm_r / warm_l - 1) * 100:+.0f}%)")


def _fit_scores(dataset: Any, params: dict[str, Any], seed: int) -> tuple[float, float]:
    """Valid IC (the trials' scorer) and test IC (the run registry's) of one LightGBM fit."""
    from core.datasets.metrics import signal_metrics
    from core.models import create_model
    from core.research.trial_task import valid_score

    model = create_model("lightgbm", params, seed=seed)
    for _ in model.fit(dataset):
        pass
    rows = dataset.rows("test")
    test = signal_metrics(model.predict(dataset, "test"), dataset.raw_label[rows], dataset.date_groups(rows))
    return valid_score(model, dataset, "valid_ic"), float(test["ic"])


def _stat(values: list[float]) -> str:
    finite = [v for v in values if math.isfinite(v)]  # nan: constant predictions (too much regularisation)
    if not finite:
        return f"nan (n={len(values)}, all constant predictions)"
    spread = statistics.stdev(finite) if len(finite) > 1 else 0.0
    return f"{statistics.fmean(finite):+.4f} ± {spread:.4f} (n={len(finite)} of {len(values)})"


def csi300_study(
    data: Path, root: Path, segments: Segments, trials: int, seeds: int, rounds: int, members: int | None = None
) -> None:
    """Best valid IC of a `trials`-trial study vs Qlib's benchmark parameters over `seeds` seeds, same data."""
    from core.jobs import CancelToken
    from core.research.training import prepare_dataset

    started = time.perf_counter()
    warm_up = f"{int(segments.start[:4]) - 1}{segments.start[4:]}"  # Alpha158's 60-day windows start filled
    symbols = members_during(data / "cn", segments.start, segments.end)[:members]
    slice_ = build_slice(data / "cn", root / "csi300", start=warm_up, end=segments.end, symbols=symbols)
    _line(f"store + Qlib export, {len(symbols)} CSI300 members", f"{time.perf_counter() - started:.0f} s")
    threads = os.cpu_count() or 1
    config = DatasetConfig("alpha158", "csi300", segments)
    started = time.perf_counter()
    training = StartTraining("lightgbm", config, {"num_threads": threads}, device="cpu")
    dataset, _ = _drain(prepare_dataset(training, slice_.data_dir, CancelToken()))  # cached for the study
    _line("Alpha158 dataset (built once, cached)", f"{time.perf_counter() - started:.0f} s, {len(dataset):,} rows")
    _line("segments", f"train {segments.train}  valid {segments.valid}  test {segments.test}")
    _line("cores | load average", f"{threads} | {_load()}")

    # Qlib's examples/benchmarks/LightGBM parameters are our LightGBM's defaults (loss mse, 1000 rounds,
    # early stop 50); num_threads 20 there becomes this machine's cores.
    bench: list[tuple[float, float]] = []
    for seed in range(seeds):
        t = time.perf_counter()
        bench.append(_fit_scores(dataset, {"num_threads": threads}, seed))
        _line(
            f"Qlib benchmark params, seed {seed}: valid IC | test IC",
            f"{bench[-1][0]:+.4f} | {bench[-1][1]:+.4f}  ({time.perf_counter() - t:.0f} s, load {_load()})",
        )

    fixed = {"num_threads": threads, "num_boost_round": rounds, "early_stop": 50}
    request = StartStudy(
        "csi300", StartTraining("lightgbm", config, fixed, device="cpu"), default_space("lightgbm"), trials
    )
    best = -math.inf
    done: StudyFinished | None = None
    for report in run_study(request, slice_.data_dir, storage_file=root / "studies.sqlite"):
        if isinstance(report, TrialFinished):
            if report.value is not None:
                best = max(best, report.value)
            value = f"{report.value:+.4f}" if report.value is not None else "-"
            _line(
                f"trial {report.number:2d} {report.state:<8} {report.epochs:3d} epochs {report.seconds:5.0f} s",
                f"valid IC {value}  best {best:+.4f}  load {_load()}",
            )
        elif isinstance(report, StudyFinished):
            done = report
    assert done is not None
    test_best = RunRegistry(slice_.data_dir).get(done.run.run_id).metrics["ic"]
    _line(f"best trial ({done.best_number}) params", str(done.best_params))
    _line(f"best of {trials} trials: valid IC | test IC (once)", f"{done.best_value:+.4f} | {test_best:+.4f}")
    _line(f"Qlib benchmark params, {seeds} seeds: valid IC", _stat([v for v, _ in bench]))
    _line(f"Qlib benchmark params, {seeds} seeds: test IC", _stat([t for _, t in bench]))
    # The study's seed (0) gave the best trial; the other seeds show how much of its lead is luck.
    ours = [(done.best_value, test_best)]
    for seed in range(1, seeds):
        ours.append(_fit_scores(dataset, {**fixed, **done.best_params}, seed))
        _line(f"best trial's params, seed {seed}: valid IC | test IC", f"{ours[-1][0]:+.4f} | {ours[-1][1]:+.4f}")
    _line(f"best trial's params, {seeds} seeds: valid IC", _stat([v for v, _ in ours]))
    _line(f"best trial's params, {seeds} seeds: test IC", _stat([t for _, t in ours]))
    _line("load average at the end", _load())


def _drain(job: Any) -> Any:
    try:
        while True:
            next(job)
    except StopIteration as stop:
        return stop.value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=shared_data_dir())
    parser.add_argument("--stocks", type=int, default=40)
    parser.add_argument("--trials", type=int, help="default 6; with --csi300-study 20")
    parser.add_argument("--rounds", type=int, help="most rounds a trial; default 100, with --csi300-study 300")
    parser.add_argument("--ray-repeats", type=int, default=3)
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--only-ray", action="store_true", help="skip the 1- and 2-worker studies")
    parser.add_argument("--csi300-study", action="store_true", help="best valid IC vs Qlib's benchmark parameters")
    parser.add_argument("--segments", default="2015:2016,2017:2018,2019:2020", help="with --csi300-study")
    parser.add_argument("--seeds", type=int, default=3, help="with --csi300-study")
    parser.add_argument("--members", type=int, help="with --csi300-study: only the first N members (a quick look)")
    args = parser.parse_args()
    if args.csi300_study:
        with tempfile.TemporaryDirectory(prefix="qdesk-bench-tune-") as tmp:
            segments = Segments.parse(args.segments)
            trials, rounds = args.trials or 20, args.rounds or 300
            csi300_study(args.data, Path(tmp), segments, trials, args.seeds, rounds, args.members)
        return
    args.trials, args.rounds = args.trials or 6, args.rounds or 100
    fixed = {"num_boost_round": args.rounds, "rounds_per_epoch": 10, "early_stop": 0, "lambda_l1": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        started = time.perf_counter()
        slice_ = build_slice(args.data / "cn", root / "slice", count=args.stocks)
        dataset = dataset_for(slice_, tiny_config(slice_, count=len(slice_.symbols)))
        _line(f"store + Alpha158 of {len(slice_.symbols)} stocks", f"{time.perf_counter() - started:.1f} s")
        _line("rows (train+valid+test) x features", f"{len(dataset)} x {dataset.n_features}")
        _line("cores | load average before", f"{os.cpu_count()} | {_load()}")
        if not args.only_ray:
            one = trials_per_hour(slice_, root, 1, args.trials, fixed)
            _line(f"LightGBM trials/hour, 1 worker ({args.trials} trials)", f"{one:.0f}")
            two = trials_per_hour(slice_, root, 2, args.trials, fixed)
            _line(f"LightGBM trials/hour, 2 workers ({args.trials} trials)", f"{two:.0f}  ({two / one:.2f}x)")
            _line("load average after the studies", _load())
        if not args.no_ray:
            threads = max(1, (os.cpu_count() or 1) // 2)
            params = {**fixed, "learning_rate": 0.05, "num_leaves": 31, "lambda_l2": 1.0, "num_threads": threads}
            ray_overhead(dataset, TrialTask("lightgbm", params, "valid_ic", device="cpu"), args.ray_repeats)
            _line("load average after Ray", _load())


if __name__ == "__main__":
    main()
