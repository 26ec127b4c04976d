"""`qdesk train ...` trains a model headless (same job as the training panel); `qdesk runs ...` manages runs."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from core.datasets.config import (
    DATASETS,
    FEATURE_NORMS,
    LABEL_NORMS,
    SEGMENTS_HELP,
    STANDARD_SEGMENTS,
    DatasetConfig,
    Segments,
    parse_universe,
)
from core.models import MODEL_NAMES, TREE_MODELS
from core.research.config import StartTraining, parse_params
from core.research.registry import METRIC_NAMES, RunRegistry, UnknownRun

DATASET_HELP = (
    f"feature set: {' or '.join(DATASETS)}, plus saved factors as extra features with +library (the factor "
    "library) or +FILE (NAME: EXPR lines, or a library .json), e.g. alpha158+library (default alpha158)"
)
UNIVERSE_HELP = (
    "csi300, csi500, all (every stock in the store), another exported instruments name, a "
    "comma-separated list of symbols (600000.SH,000001.SZ) or @FILE with one symbol per line"
)


def register(commands: Any) -> None:
    train = commands.add_parser(
        "train",
        help="train a model on the store and register the run",
        description="Build an Alpha158/Alpha360 dataset from the market store (exported for Qlib into "
        "DATA_DIR/qlib), train a model, score the test segment (IC, ICIR, Rank IC, Rank ICIR) and register "
        "the run with its predictions. An interrupted run (Ctrl-C, crash) resumes from its checkpoint when "
        "the same command runs again.",
    )
    train.add_argument("--model", required=True, choices=MODEL_NAMES, help="model to train")
    train.add_argument("--dataset", default="alpha158", help=DATASET_HELP)
    train.add_argument("--universe", default="csi300", help=UNIVERSE_HELP + " (default csi300)")
    train.add_argument(
        "--segments", default=str(STANDARD_SEGMENTS), help=SEGMENTS_HELP + f" (default {STANDARD_SEGMENTS})"
    )
    train.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="model hyper-parameter, repeatable (e.g. --param lr=0.001 --param hidden_size=128)",
    )
    train.add_argument(
        "--epochs", type=int, help="most epochs (LightGBM: boosting rounds; double_ensemble: rounds per sub-model)"
    )
    train.add_argument("--device", default="auto", help="auto (CUDA, then MPS, then CPU), cpu, cuda, cuda:N, mps")
    train.add_argument("--amp", default="auto", choices=["auto", "off", "fp16", "bf16"], help="mixed precision")
    train.add_argument("--seed", type=int, default=0, help="random seed (same seed, same result)")
    train.add_argument("--label", default=None, help="label expression (default Ref($close, -2)/Ref($close, -1) - 1)")
    train.add_argument("--feature-norm", default="robust_zscore", choices=FEATURE_NORMS)
    train.add_argument("--label-norm", default="cs_rank", choices=LABEL_NORMS)
    train.add_argument(
        "--rolling",
        metavar="STEP",
        help="walk-forward: retrain every STEP over the test segment (20d trading days, 1m, 3m months) and "
        "register the stitched out-of-sample scores as one run",
    )
    train.add_argument(
        "--window",
        default="expanding",
        choices=["expanding", "sliding"],
        help="with --rolling: keep the train start (expanding, default) or move it with each step (sliding)",
    )
    train.set_defaults(handler=cmd_train)

    ensemble = commands.add_parser(
        "ensemble",
        help="register a run that combines the scores of registered runs",
        description="Register a run whose scores are the mean or the per-day rank-mean of its members' scores "
        "on the days every member scored (a stock a member did not score counts in the others' mean only). "
        "It predicts, backtests and gives signals like any run; scoring new days scores every member.",
    )
    ensemble.add_argument("run_ids", nargs="+", metavar="RUN_ID", help="member runs (at least two)")
    ensemble.add_argument(
        "--method",
        default="mean",
        choices=["mean", "rank-mean"],
        help="mean (default) keeps each member's spread of scores, which the IC rewards; rank-mean evens out "
        "members whose scores are on different scales",
    )
    ensemble.add_argument("--name", help="run id of the ensemble (default: generated)")
    ensemble.set_defaults(handler=cmd_ensemble)

    runs = commands.add_parser("runs", help="list, compare, delete or export registered runs")
    sub = runs.add_subparsers(dest="runs_command", metavar="ACTION", required=True)
    sub.add_parser("list", help="every run, newest first").set_defaults(handler=cmd_runs_list)
    compare = sub.add_parser("compare", help="runs side by side")
    compare.add_argument("run_ids", nargs="+", metavar="RUN_ID")
    compare.set_defaults(handler=cmd_runs_compare)
    delete = sub.add_parser("delete", help="remove runs and their files")
    delete.add_argument("run_ids", nargs="+", metavar="RUN_ID")
    delete.set_defaults(handler=cmd_runs_delete)
    export = sub.add_parser("export", help="write a run (config, model, predictions) as a zip")
    export.add_argument("run_id", metavar="RUN_ID")
    export.add_argument("destination", metavar="DIR_OR_ZIP")
    export.set_defaults(handler=cmd_runs_export)


def request_from_args(args: argparse.Namespace, data_dir: Path | None = None) -> StartTraining:
    """The StartTraining command for the arguments; ValueError names the bad one. `data_dir` holds the
    factor library that `--dataset alpha158+library` reads."""
    from core.research.factors.library import dataset_spec

    try:
        segments = Segments.parse(args.segments)
    except ValueError as exc:
        raise ValueError(f"--segments: {exc}") from None
    try:
        universe = parse_universe(args.universe)
    except ValueError as exc:
        raise ValueError(f"--universe: {exc}") from None
    try:
        params = parse_params(args.param)
    except ValueError as exc:
        raise ValueError(f"--param: {exc}") from None
    if args.epochs is not None:
        params["num_boost_round" if args.model in TREE_MODELS else "epochs"] = args.epochs
    kind, factors = dataset_spec(args.dataset, data_dir)
    extra = {"label": args.label} if args.label else {}
    dataset = DatasetConfig(
        kind,
        universe,
        segments,
        feature_norm=args.feature_norm,
        label_norm=args.label_norm,
        factors=factors,
        **extra,
    )
    return StartTraining(args.model, dataset, params, device=args.device, amp=args.amp, seed=args.seed)


def cmd_train(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError
    from core.models.base import EpochFinished, FitFinished, TrainingProgress
    from core.research.rolling import RollingStep, run_rolling
    from core.research.training import RunFinished, StageProgress, run_training

    try:
        step = RollingStep.parse(args.rolling) if args.rolling is not None else None
    except ValueError as exc:
        raise CliError(f"--rolling: {exc}") from None
    try:
        request = request_from_args(args, data_dir)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    how = f", retrained every {step} ({args.window} window)" if step else ""
    print(
        f"Training {request.model} on {request.dataset.name} / {args.universe} ({request.dataset.segments}){how}",
        file=sys.stderr,
    )
    job = run_rolling(request, step, data_dir, args.window) if step else run_training(request, data_dir)
    bar = _progress_bar()
    finished: RunFinished | None = None
    stage = ""
    try:
        for report in job:
            if isinstance(report, (StageProgress, TrainingProgress)):
                if report.message != stage:
                    stage = report.message
                    bar.set_description_str(stage)
                bar.total = report.total
                bar.n = report.done
                bar.refresh()
            elif isinstance(report, EpochFinished):
                bar.write(_epoch_line(report), file=sys.stderr)
            elif isinstance(report, FitFinished) and report.resumed_from:
                bar.write(f"resumed from the checkpoint after epoch {report.resumed_from}", file=sys.stderr)
            elif isinstance(report, RunFinished):
                finished = report
    except ValueError as exc:
        raise CliError(str(exc)) from None
    except KeyboardInterrupt:
        bar.close()
        print("interrupted: the last finished epoch is checkpointed; run the same command to resume", file=sys.stderr)
        raise
    finally:
        bar.close()
    assert finished is not None
    print(f"run {finished.run_id}")
    print(
        "  ".join(f"{m.upper().replace('_', ' ')} {finished.metrics.get(m, float('nan')):.4f}" for m in METRIC_NAMES)
        + f"  ({int(finished.metrics.get('days', 0))} test days, "
        f"{finished.seconds:.1f} s)"
    )
    return 0


def cmd_ensemble(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError
    from core.research.ensemble import create_ensemble

    try:
        record = create_ensemble(_registry(data_dir), args.run_ids, args.method, args.name)
    except (UnknownRun, ValueError) as exc:
        raise CliError(str(exc)) from None
    print(f"run {record.run_id}")
    print(
        "  ".join(f"{m.upper().replace('_', ' ')} {record.metrics.get(m, float('nan')):.4f}" for m in METRIC_NAMES)
        + f"  ({int(record.metrics.get('days', 0))} days, {args.method} of {len(args.run_ids)} runs)"
    )
    return 0


def _epoch_line(e: Any) -> str:
    best = " *" if e.improved else ""
    return (
        f"epoch {e.epoch:>3}/{e.epochs}  train loss {e.train_loss:.5f}  valid loss {e.valid_loss:.5f}  "
        f"valid IC {e.valid_ic:.4f}  {e.seconds:.1f} s{best}"
    )


def _progress_bar() -> Any:
    from tqdm import tqdm

    return tqdm(
        total=1,
        file=sys.stderr,
        disable=None,
        leave=False,
        bar_format="{desc}: {percentage:3.0f}%|{bar}| {n_fmt}/{total_fmt} [{elapsed}<{remaining}]",
    )


def _registry(data_dir: Path) -> RunRegistry:
    return RunRegistry(data_dir)


def cmd_runs_list(args: argparse.Namespace, data_dir: Path) -> int:
    registry = _registry(data_dir)
    runs = registry.runs()
    if not runs:
        print("No runs yet. Train one with: qdesk train --model lightgbm --dataset alpha158 --universe csi300")
        return 0
    print(
        f"{'run':<34} {'model':<11} {'dataset':<9} {'universe':<10} {'test':<23} "
        + " ".join(f"{m:>9}" for m in METRIC_NAMES)
        + "  predict"
    )
    for r in runs:
        test = r.config.get("dataset", {}).get("segments", "").split(",")[-1]
        print(
            f"{r.run_id:<34} {r.model:<11} {r.dataset:<9} {r.universe:<10} {test:<23} "
            + " ".join(f"{r.metrics.get(m, float('nan')):>9.4f}" for m in METRIC_NAMES)
            + ("  yes" if registry.can_score(r.run_id) else "  retrain")  # scores new days, or needs retraining
        )
    return 0


def cmd_runs_compare(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError

    try:
        rows = _registry(data_dir).compare(args.run_ids)
    except UnknownRun as exc:
        raise CliError(str(exc)) from None
    for key in rows[0]:
        values = [f"{v:.4f}" if isinstance(v, float) else str(v) for v in (row[key] for row in rows)]
        print(f"{key:<14}" + "".join(f"{v:<34}" for v in values))
    return 0


def cmd_runs_delete(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError

    registry = _registry(data_dir)
    try:
        for run_id in args.run_ids:
            registry.get(run_id)
    except UnknownRun as exc:
        raise CliError(str(exc)) from None
    for run_id in args.run_ids:
        registry.delete(run_id)
        print(f"deleted {run_id}")
    return 0


def cmd_runs_export(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError

    try:
        target = _registry(data_dir).export(args.run_id, Path(args.destination).expanduser())
    except UnknownRun as exc:
        raise CliError(str(exc)) from None
    print(f"exported {args.run_id} to {target}")
    return 0
