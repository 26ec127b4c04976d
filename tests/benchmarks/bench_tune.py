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
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from core.research.config import StartTraining
from core.research.registry import RunRegistry
from core.research.search_space import Range
from core.research.trial_task import TrialTask, fit_trial
from core.research.tuning import StartStudy, TrialFinished, TrialStarted, run_study
from tests.core.research.slices import build_slice, dataset_for, tiny_config
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", type=Path, default=shared_data_dir())
    parser.add_argument("--stocks", type=int, default=40)
    parser.add_argument("--trials", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=100)
    parser.add_argument("--ray-repeats", type=int, default=3)
    parser.add_argument("--no-ray", action="store_true")
    parser.add_argument("--only-ray", action="store_true", help="skip the 1- and 2-worker studies")
    args = parser.parse_args()
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
