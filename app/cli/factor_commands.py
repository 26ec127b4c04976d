"""`qdesk factor ...`: evaluate a Qlib expression as a factor, keep a library of factors, search for new ones."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    from app.cli.train_commands import UNIVERSE_HELP
    from core.datasets.config import SEGMENTS_HELP, STANDARD_SEGMENTS

    factor = commands.add_parser(
        "factor",
        help="evaluate, save and search factors (Qlib expressions)",
        description="The factor lab: score a Qlib expression (IC, Rank IC, decay, quantile returns, turnover, "
        "coverage), keep factors in a library (DATA_DIR/factors.json) that datasets can add as features "
        "(--dataset alpha158+library), and search for new ones by genetic programming.",
    )
    sub = factor.add_subparsers(dest="factor_command", metavar="ACTION", required=True)
    ev = sub.add_parser(
        "eval",
        help="score one expression on a universe and write its tear sheet",
        description="Daily IC and Rank IC of the expression against the next-day return (bought at the next "
        "close), ICIR, IC decay over holding horizons, mean returns of quantiles and the long-short spread, "
        "top-quantile turnover and coverage.",
    )
    ev.add_argument("expression", metavar="EXPR", help='Qlib expression, e.g. "Ref($close, 5)/$close - 1"')
    ev.add_argument("--universe", default="csi300", help=UNIVERSE_HELP + " (default csi300)")
    ev.add_argument("--start", required=True, metavar="YYYY-MM-DD", help="first day scored")
    ev.add_argument("--end", required=True, metavar="YYYY-MM-DD", help="last day scored")
    ev.add_argument("--horizons", default="1-20", help="IC decay horizons in days: 1-20 (default) or 1,5,10,20")
    ev.add_argument("--quantiles", type=int, default=5, help="quantile groups (default 5)")
    ev.add_argument("--report", metavar="DIR", help="write report.html, daily.csv and decay.csv into DIR")
    ev.set_defaults(handler=cmd_factor_eval)
    search = sub.add_parser(
        "search",
        help="search for factors by genetic programming (train/valid choose, test reports the finalists)",
        description="Evolve expressions over Qlib's operators (mutation and crossover of expression trees), "
        "scoring each candidate's Rank IC on the train and valid segments in parallel. The finalists are the "
        "strongest on train whose valid Rank IC agrees in sign; only they are scored on the test segment.",
    )
    search.add_argument("--universe", default="csi300", help=UNIVERSE_HELP + " (default csi300)")
    search.add_argument(
        "--segments", default=str(STANDARD_SEGMENTS), help=SEGMENTS_HELP + f" (default {STANDARD_SEGMENTS})"
    )
    search.add_argument("--population", type=int, default=40, help="expressions per generation (default 40)")
    search.add_argument("--generations", type=int, default=5, help="generations (default 5)")
    search.add_argument("--finalists", type=int, default=5, help="finalists reported on test (default 5)")
    search.add_argument("--workers", type=int, default=1, help="processes scoring candidates at once (default 1)")
    search.add_argument(
        "--ray-address",
        metavar="ADDR",
        help="score candidates as Ray tasks on a Ray cluster (auto, ray://HOST:PORT or HOST:PORT) instead of --workers",
    )
    search.add_argument("--seed", type=int, default=0, help="random seed (same seed, same search)")
    search.add_argument("--save", metavar="PREFIX", help="save the finalists in the library as PREFIX1, PREFIX2, ...")
    search.set_defaults(handler=cmd_factor_search)
    save = sub.add_parser("save", help="add an expression to the factor library under a name")
    save.add_argument("name", metavar="NAME", help="letters, digits and _ (the feature's column name)")
    save.add_argument("expression", metavar="EXPR")
    save.add_argument("--replace", action="store_true", help="overwrite a factor of the same name")
    save.set_defaults(handler=cmd_factor_save)
    sub.add_parser("list", help="the factors in the library").set_defaults(handler=cmd_factor_list)
    remove = sub.add_parser("remove", help="remove a factor from the library")
    remove.add_argument("name", metavar="NAME")
    remove.set_defaults(handler=cmd_factor_remove)


def parse_horizons(text: str) -> tuple[int, ...]:
    """`1-20` or `1,5,10,20` as sorted distinct days; ValueError names the bad part."""
    days: set[int] = set()
    for part in (p.strip() for p in text.split(",") if p.strip()):
        try:
            if "-" in part:
                a, b = (int(x) for x in part.split("-", 1))
                days.update(range(a, b + 1))
            else:
                days.add(int(part))
        except ValueError:
            raise ValueError(f"--horizons: bad part {part!r}; expected 1-20 or 1,5,10,20") from None
    from core.research.factors.engine import MAX_HORIZON  # numpy and pandas load only when a factor runs

    if not days or min(days) < 1 or max(days) > MAX_HORIZON:
        raise ValueError(f"--horizons: days between 1 and {MAX_HORIZON}, got {text!r}")
    return tuple(sorted(days))


def request_from_args(args: argparse.Namespace) -> Any:
    from core.datasets.config import parse_universe
    from core.research.factors.engine import DEFAULT_HORIZONS, EvaluateFactor

    try:
        universe = parse_universe(args.universe)
    except ValueError as exc:
        raise ValueError(f"--universe: {exc}") from None
    horizons = parse_horizons(args.horizons) if args.horizons else DEFAULT_HORIZONS
    return EvaluateFactor(args.expression, universe, args.start, args.end, horizons, args.quantiles)


def run_with_progress(jobs: Any, token: Any, kind: type) -> Any:
    """Drive a factor job with a progress bar; the last report of `kind`. Ctrl-C cancels the job."""
    from app.cli import CliError
    from app.cli.train_commands import _progress_bar
    from core.jobs import Progress

    bar = _progress_bar()
    final = None
    try:
        for report in jobs:
            if isinstance(report, Progress):
                bar.set_description_str(report.message)
                bar.total, bar.n = report.total, report.done
                bar.refresh()
            elif isinstance(report, kind):
                final = report
    except ValueError as exc:
        raise CliError(str(exc)) from None
    except KeyboardInterrupt:
        token.cancel()
        jobs.close()
        raise
    finally:
        bar.close()
    return final


def cmd_factor_eval(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError
    from core.jobs import CancelToken
    from core.research.factors.engine import FactorEvaluated, run_factor_eval
    from core.research.factors.report import format_value, write_tear_sheet

    try:
        request = request_from_args(args)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    print(f"Factor {args.expression} on {args.universe}, {request.start} to {request.end}", file=sys.stderr)
    token = CancelToken()
    done = run_with_progress(run_factor_eval(request, data_dir, token), token, FactorEvaluated)
    result = done.result
    s = result.summary
    print(f"factor        {result.expression}")
    for name in ("ic", "icir", "rank_ic", "rank_icir", "ic_positive", "long_short", "top_turnover", "coverage"):
        print(f"{name:<14}{format_value(name, s[name])}")
    print(f"days          {s['scored_days']:.0f} scored of {s['days']:.0f}, {s['instruments']:.0f} instruments")
    quantiles = "  ".join(
        f"Q{k + 1} {v:.3%}" if math.isfinite(v) else f"Q{k + 1} –" for k, v in enumerate(result.quantile_returns)
    )
    print(f"quantiles     {quantiles}  (mean next-day return, Q1 = lowest)")
    decay = "  ".join(f"{h}d {ric:.4f}" for h, (_, ric) in sorted(result.decay.items()))
    print(f"rank IC by horizon  {decay}")
    if args.report:
        try:
            written = write_tear_sheet(result, Path(args.report).expanduser())
        except OSError as exc:
            raise CliError(f"--report: cannot write {args.report}: {exc.strerror or exc}") from None
        print(f"report        {written['report.html']}")
    return 0


def cmd_factor_save(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError
    from core.research.factors.library import library_path, save_factor

    try:
        text = save_factor(data_dir, args.name, args.expression, replace=args.replace)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    print(f"saved {args.name}: {text}  ({library_path(data_dir)})")
    return 0


def cmd_factor_list(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError
    from core.research.factors.library import load_library

    try:
        factors = load_library(data_dir)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if not factors:
        print('No factors yet. Add one with: qdesk factor save MOM5 "Ref($close, 5)/$close - 1"')
        return 0
    width = max(len(n) for n in factors)
    for name, expression in factors.items():
        print(f"{name:<{width}}  {expression}")
    return 0


def cmd_factor_remove(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError
    from core.research.factors.library import UnknownFactor, remove_factor

    try:
        expression = remove_factor(data_dir, args.name)
    except (UnknownFactor, ValueError) as exc:
        raise CliError(str(exc)) from None
    print(f"removed {args.name}: {expression}")
    return 0


def search_from_args(args: argparse.Namespace) -> Any:
    from core.datasets.config import Segments, parse_universe
    from core.research.factors.library import check_name
    from core.research.factors.search import StartSearch

    try:
        segments = Segments.parse(args.segments)
    except ValueError as exc:
        raise ValueError(f"--segments: {exc}") from None
    try:
        universe = parse_universe(args.universe)
    except ValueError as exc:
        raise ValueError(f"--universe: {exc}") from None
    if args.workers < 1:
        raise ValueError(f"--workers must be at least 1, got {args.workers}")
    if args.save is not None:
        check_name(args.save + "1")
    return StartSearch(universe, segments, args.population, args.generations, args.finalists, args.seed)


def cmd_factor_search(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError
    from core.jobs import CancelToken
    from core.research.execution import RayExecutor, RayOptions, RayUnavailable, check_reachable, import_ray
    from core.research.factors.library import save_factor
    from core.research.factors.parallel import local_executor, research_executor
    from core.research.factors.search import GenerationFinished, SearchFinished, run_search

    try:
        request = search_from_args(args)
        executor = local_executor(args.workers)
        where = f"{args.workers} worker(s)"
        if args.ray_address is not None:
            ray = RayOptions(args.ray_address)
            import_ray()  # RuntimeError: how to install it
            check_reachable(ray.address)  # before any output: an address that does not answer is one line
            executor, where = research_executor(lambda: RayExecutor(ray)), f"on Ray at {ray.address}"
    except (ValueError, RuntimeError, RayUnavailable) as exc:
        raise CliError(str(exc)) from None
    print(
        f"Factor search on {args.universe} ({request.segments}): {request.generations} generations of "
        f"{request.population}, {where}, seed {request.seed}",
        file=sys.stderr,
    )
    token = CancelToken()
    jobs = run_search(request, data_dir, token, executor)

    def reports() -> Any:
        for report in jobs:
            if isinstance(report, GenerationFinished):
                best = report.best
                print(
                    f"generation {report.generation + 1}: {report.evaluated} scored, best train Rank IC "
                    f"{best.rank_ic['train']:.4f}  {best.expression}",
                    file=sys.stderr,
                )
            yield report

    done = run_with_progress(_closing(reports(), jobs), token, SearchFinished)
    if not done.finalists:
        print(f"no finalist: none of the {done.evaluated} candidates kept the sign of its train Rank IC on valid")
        return 0
    print(f"{'#':>2} {'train RankIC':>12} {'valid RankIC':>12} {'test IC':>9} {'test RankIC':>11}  expression")
    for k, f in enumerate(done.finalists, start=1):
        print(
            f"{k:>2} {f.train_rank_ic:>12.4f} {f.valid_rank_ic:>12.4f} {f.test_ic:>9.4f} {f.test_rank_ic:>11.4f}  "
            f"{f.expression}"
        )
    print(f"{done.evaluated} candidates scored on train and valid; test scored for the finalists only")
    if args.save:
        for k, f in enumerate(done.finalists, start=1):
            save_factor(data_dir, f"{args.save}{k}", f.expression, replace=True)
        print(f"saved {len(done.finalists)} factors as {args.save}1..{args.save}{len(done.finalists)}")
    return 0


class _closing:
    """An iterator over `reports` whose close() closes the job generator too (Ctrl-C stops the search)."""

    def __init__(self, reports: Any, job: Any) -> None:
        self._reports, self._job = reports, job

    def __iter__(self) -> Any:
        return self._reports

    def close(self) -> None:
        self._reports.close()
        self._job.close()
