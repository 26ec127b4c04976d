"""`qdesk predict ...`: score stored days with a trained run (the first step of the daily loop)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any


def register(commands: Any) -> None:
    p = commands.add_parser(
        "predict",
        help="score stored trading days with a trained run",
        description="Score every stock of the run's universe on each stored trading day in [--start, --end] "
        "(default: the store's newest day) with the run's model and the feature processing fitted at training. "
        "Only the bars the features look back over are read; nothing after a day reaches its score.",
    )
    p.add_argument("--run", required=True, metavar="RUN_ID", help="a registered run (see: qdesk runs list)")
    p.add_argument("--start", metavar="D", help="first day to score (YYYY-MM-DD; default: --end)")
    p.add_argument("--end", metavar="D", help="last day to score (YYYY-MM-DD; default: the newest stored day)")
    p.add_argument("--out", metavar="FILE", help="write datetime,instrument,score to FILE (.csv or .parquet)")
    p.set_defaults(handler=cmd_predict)


def run_scoring(data_dir: Path, run_id: str, start: str | None, end: str | None) -> Any:
    """Score with a progress bar on stderr; bad input becomes a CliError."""
    from app.cli import CliError
    from app.cli.data_commands import _progress_bar
    from core.research.registry import UnknownRun
    from core.research.scoring import ScoreProgress, Scores, score_days

    result: Scores | None = None
    try:
        with _progress_bar(None, "scoring", "step") as bar:
            for item in score_days(data_dir, run_id, start, end):
                if isinstance(item, ScoreProgress):
                    bar.set_description_str(item.message)
                    bar.total, bar.n = item.total, item.done
                    bar.refresh()
                else:
                    result = item
    except UnknownRun as exc:
        raise CliError(str(exc)) from None
    except ValueError as exc:
        raise CliError(str(exc)) from None
    assert result is not None
    return result


def cmd_predict(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError
    from core.research.scoring import write_scores

    if args.out and Path(args.out).suffix.lower() not in (".csv", ".parquet"):
        raise CliError(f"--out {args.out}: expected a .csv or .parquet file")
    scores = run_scoring(data_dir, args.run, args.start, args.end)
    print(scores.summary())
    if args.out:
        try:
            path = write_scores(scores.frame, Path(args.out).expanduser())
        except OSError as exc:
            raise CliError(f"--out {args.out}: {exc.strerror or exc}") from None
        print(f"Scores: {path}", file=sys.stderr)
    return 0
