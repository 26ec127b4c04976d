"""`qdesk tune ...` runs a hyper-parameter study headless; `tune list` and `tune show` report on studies."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from core.datasets.config import SEGMENTS_HELP, STANDARD_SEGMENTS
from core.models import MODEL_NAMES
from core.research.study_store import METRICS


def register(commands: Any) -> None:
    from app.cli.train_commands import DATASET_HELP, UNIVERSE_HELP

    tune = commands.add_parser(
        "tune",
        help="search a model's hyper-parameters (Optuna) and register the best as a run",
        description="Run an Optuna study (TPE sampler, median pruner) over a model's hyper-parameters. Trials "
        "are scored on the valid segment only; the best trial is retrained, scored once on the test segment "
        "and registered as a run. Studies live in DATA_DIR/studies.sqlite: the same --study adds trials. "
        "Ctrl-C stops cleanly and keeps the finished trials.",
    )
    tune.add_argument("--model", choices=MODEL_NAMES, help="model to tune (required to run a study)")
    tune.add_argument("--dataset", default="alpha158", help=DATASET_HELP)
    tune.add_argument("--universe", default="csi300", help=UNIVERSE_HELP + " (default csi300)")
    tune.add_argument(
        "--segments", default=str(STANDARD_SEGMENTS), help=SEGMENTS_HELP + f" (default {STANDARD_SEGMENTS})"
    )
    tune.add_argument("--trials", type=int, help="trials to add to the study (required to run a study)")
    tune.add_argument("--study", help="study name (default MODEL-DATASET-UNIVERSE); an existing one resumes")
    tune.add_argument(
        "--space",
        metavar="FILE",
        help="YAML/JSON search space: PARAM: {low: X, high: Y[, log: true][, type: int]}, PARAM: [values] or "
        "PARAM: value (fixed); default: the model's own space",
    )
    tune.add_argument("--metric", default="valid_ic", choices=list(METRICS), help="what trials are scored by")
    tune.add_argument("--workers", type=int, default=1, help="trials run at once on this machine (default 1)")
    tune.add_argument("--timeout", type=float, metavar="S", help="start no trial after S seconds")
    tune.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="run trials as Ray tasks on a cluster: auto, ray://HOST:PORT or HOST:PORT (needs: pip install "
        "'qdesk[ray]'); the dataset goes to the cluster's object store once",
    )
    tune.add_argument("--trial-cpus", type=float, default=1.0, help="CPUs one Ray trial reserves (default 1)")
    tune.add_argument("--trial-gpus", type=float, default=0.0, help="GPU fraction one Ray trial reserves (default 0)")
    tune.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N, mps")
    tune.add_argument("--seed", type=int, default=0, help="seed of the sampler and of every trial's model")
    # What `train` also reads (request_from_args); a study always uses the standard label and processors.
    tune.set_defaults(
        handler=cmd_tune,
        param=[],
        epochs=None,
        label=None,
        feature_norm="robust_zscore",
        label_norm="cs_rank",
        amp="auto",
    )
    sub = tune.add_subparsers(dest="tune_command", metavar="ACTION")
    sub.add_parser("list", help="every study with its best value").set_defaults(handler=cmd_tune_list)
    show = sub.add_parser("show", help="a study's trials, best parameters and parameter importances")
    show.add_argument("study", metavar="STUDY")
    show.set_defaults(handler=cmd_tune_show)


def study_from_args(args: argparse.Namespace, data_dir: Path | None = None) -> Any:
    """The StartStudy command for the arguments; ValueError names the bad one."""
    from app.cli.train_commands import request_from_args
    from core.research.execution import RayOptions, check_reachable, import_ray
    from core.research.search_space import default_space, load_space
    from core.research.study_request import StartStudy

    if args.model is None:
        raise ValueError("--model is required to run a study (or use: tune list | tune show STUDY)")
    if args.trials is None:
        raise ValueError("--trials is required to run a study")
    training = request_from_args(args, data_dir)
    space = load_space(Path(args.space).expanduser(), args.model) if args.space else default_space(args.model)
    name = args.study or f"{args.model}-{args.dataset}-{args.universe}"
    ray = None
    if args.ray_address is not None:
        ray = RayOptions(args.ray_address, args.trial_cpus, args.trial_gpus)
        import_ray()  # RuntimeError: how to install it
        check_reachable(ray.address)  # RayUnavailable at once, before any output
    elif args.trial_cpus != 1.0 or args.trial_gpus != 0.0:
        raise ValueError("--trial-cpus and --trial-gpus apply to Ray trials; add --ray-address")
    return StartStudy(
        name,
        training,
        space,
        args.trials,
        metric=args.metric,
        workers=args.workers,
        timeout_s=args.timeout,
        space_given=bool(args.space),
        ray=ray,
    )


def cmd_tune(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError
    from app.cli.train_commands import _progress_bar
    from core.jobs import CancelToken
    from core.research.execution import RayUnavailable
    from core.research.study_request import StudyFinished, TrialFinished
    from core.research.training import StageProgress
    from core.research.tuning import run_study

    try:
        request = study_from_args(args, data_dir)
    except (ValueError, RuntimeError, RayUnavailable) as exc:
        raise CliError(str(exc)) from None
    where = f"on Ray at {request.ray.address}" if request.ray else f"{request.workers} at once"
    print(
        f"Study {request.study}: {request.trials} trial(s) of {request.training.model} on "
        f"{request.training.dataset.name} / {args.universe}, {request.metric} on the valid segment, {where}",
        file=sys.stderr,
    )
    token = CancelToken()
    bar = _progress_bar()
    finished: StudyFinished | None = None
    jobs = run_study(request, data_dir, token)
    try:
        for report in jobs:
            if isinstance(report, StageProgress):
                bar.set_description_str(report.message)
                bar.total, bar.n = report.total, report.done
                bar.refresh()
            elif isinstance(report, TrialFinished):
                bar.write(_trial_line(report, request.metric), file=sys.stderr)
            elif isinstance(report, StudyFinished):
                finished = report
    except (ValueError, RayUnavailable) as exc:
        raise CliError(str(exc)) from None
    except KeyboardInterrupt:
        token.cancel()
        jobs.close()  # waits for the running trials to stop at their next batch or round
        bar.close()
        print(f"interrupted: finished trials are kept in study {request.study}; run again to add more", file=sys.stderr)
        raise
    finally:
        bar.close()
    assert finished is not None
    run = finished.run
    print(
        f"best trial {finished.best_number}: {request.metric} {finished.best_value:.4f}  "
        f"{_params(finished.best_params)}"
    )
    print(f"run {run.run_id}")
    print(
        f"test IC {run.metrics.get('ic', math.nan):.4f}  Rank IC {run.metrics.get('rank_ic', math.nan):.4f}  "
        f"({int(run.metrics.get('days', 0))} test days)"
    )
    return 0


def _trial_line(t: Any, metric: str) -> str:
    value = f"{metric} {t.value:.4f}" if t.value is not None else t.state
    why = f"  ({t.error})" if t.error else ""
    return f"trial {t.number:>3} {t.state:<8} {value}  {t.epochs} epochs  {t.seconds:.1f} s  {_params(t.params)}{why}"


def _params(params: dict[str, Any]) -> str:
    return " ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in sorted(params.items()))


def cmd_tune_list(args: argparse.Namespace, data_dir: Path) -> int:
    from core.research.study_store import describe, study_names

    names = study_names(data_dir)
    if not names:
        print("No studies yet. Start one with: qdesk tune --model lightgbm --universe csi300 --trials 20")
        return 0
    print(f"{'study':<32} {'model':<11} {'dataset':<9} {'universe':<12} {'metric':<14} {'trials':>6} {'best':>9}")
    for name in names:
        info = describe(name, data_dir)
        best = f"{info.best.value:.4f}" if info.best is not None and info.best.value is not None else "-"
        print(
            f"{name:<32} {info.model:<11} {info.dataset:<9} {info.universe:<12} {info.metric:<14} "
            f"{len(info.trials):>6} {best:>9}"
        )
    return 0


def cmd_tune_show(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError
    from core.research.study_store import UnknownStudy, describe, importances

    try:
        info = describe(args.study, data_dir)
    except UnknownStudy as exc:
        raise CliError(str(exc)) from None
    print(f"study {info.name}: {info.model} on {info.dataset} / {info.universe} ({info.segments}), {info.metric}")
    counts = {s: sum(t.state == s for t in info.trials) for s in ("complete", "pruned", "fail", "running")}
    print("  ".join(f"{n} {s}" for s, n in counts.items() if n))
    print(f"{'trial':>5} {'state':<9} {'value':>9}  params")
    for t in info.trials:
        value = f"{t.value:.4f}" if t.value is not None else "-"
        print(f"{t.number:>5} {t.state:<9} {value:>9}  {_params(t.params)}")
    if info.best is not None:
        run = info.runs.get(str(info.best.number), "not registered yet")
        print(f"best trial {info.best.number}: {info.best.value:.4f}  run {run}")
        for k, v in sorted(info.best.params.items()):
            print(f"  {k} = {v}")
    weights = importances(args.study, data_dir)
    if weights:
        print("parameter importances")
        for k, v in sorted(weights.items(), key=lambda kv: -kv[1]):
            print(f"  {k:<20} {v:.3f}")
    return 0
