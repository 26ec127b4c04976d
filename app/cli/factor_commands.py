"""`qdesk factor ...`: evaluate a Qlib expression as a factor, keep a library of factors, search for new ones."""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path
from typing import Any

from core.research.factors.engine import DEFAULT_HORIZONS, MAX_HORIZON


def register(commands: Any) -> None:
    from app.cli.train_commands import UNIVERSE_HELP

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
    if not days or min(days) < 1 or max(days) > MAX_HORIZON:
        raise ValueError(f"--horizons: days between 1 and {MAX_HORIZON}, got {text!r}")
    return tuple(sorted(days))


def request_from_args(args: argparse.Namespace) -> Any:
    from core.datasets.config import parse_universe
    from core.research.factors.engine import EvaluateFactor

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
