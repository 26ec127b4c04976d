"""A factor's tear sheet: one self-contained HTML file (inline SVG charts) and its daily numbers as CSV."""

from __future__ import annotations

import html
import math
from pathlib import Path

import numpy as np

from core.backtest.report import atomic_write, html_page, html_table
from core.backtest.svg import line_chart
from core.research.factors.metrics import FactorResult

DEFINITIONS = {
    "ic": "mean over days of the cross-sectional Pearson correlation of the factor with the next-day return "
    "(bought at the next close, sold at the close after)",
    "rank_ic": "the same with ranks (Spearman)",
    "icir / rank_icir": "mean / standard deviation of the daily IC (Rank IC), not annualised",
    "ic_positive": "share of days with a positive IC",
    "long_short": "mean daily return of the top quantile minus the bottom quantile's (equal weights, no costs)",
    "top_turnover": "mean share of the top quantile's names that were not in it the day before",
    "coverage": "mean share of the universe's names with a factor value each day",
    "decay": "mean IC and Rank IC against the return over h days (bought at the next close)",
}
_PERCENT = {"long_short", "top_turnover", "coverage", "ic_positive"}


def format_value(name: str, value: float) -> str:
    if not math.isfinite(value):
        return "–"
    if name in _PERCENT:
        return f"{value:.3%}" if name == "long_short" else f"{value:.1%}"
    if name in ("days", "scored_days", "instruments"):
        return f"{value:,.0f}"
    return f"{value:.4f}"


def write_tear_sheet(result: FactorResult, folder: Path | str, title: str = "") -> dict[str, Path]:
    """report.html, daily.csv and decay.csv in `folder` (created if missing)."""
    import pandas as pd

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    decay = pd.DataFrame(
        [(h, ic, ric) for h, (ic, ric) in sorted(result.decay.items())], columns=["horizon", "ic", "rank_ic"]
    )
    return {
        "daily.csv": atomic_write(folder / "daily.csv", result.daily.to_csv(float_format="%.8g")),
        "decay.csv": atomic_write(folder / "decay.csv", decay.to_csv(index=False, float_format="%.8g")),
        "report.html": atomic_write(folder / "report.html", render_html(result, title)),
    }


def _cumulative(values: np.ndarray) -> list[float]:
    return np.cumsum(np.nan_to_num(values)).tolist()


def render_html(result: FactorResult, title: str = "") -> str:
    d = result.daily
    dates = [t.strftime("%Y-%m-%d") for t in d.index]
    groups = [c for c in d.columns if c.startswith("q") and c[1:].isdigit()]
    horizons = [str(h) for h in sorted(result.decay)]
    charts = [
        line_chart(
            "Cumulative IC and Rank IC", dates, {"IC": _cumulative(d["ic"]), "Rank IC": _cumulative(d["rank_ic"])}
        ),
        line_chart(
            "Cumulative return by quantile (daily sums, Q1 = lowest factor)",
            dates,
            {g.upper(): _cumulative(d[g].to_numpy()) for g in groups},
            percent=True,
        ),
        line_chart("Cumulative long–short return", dates, {"long-short": _cumulative(d["long_short"])}, percent=True),
        line_chart(
            "IC decay (x: holding days)",
            horizons,
            {
                "IC": [v[0] for _, v in sorted(result.decay.items())],
                "Rank IC": [v[1] for _, v in sorted(result.decay.items())],
            },
        ),
        line_chart("Top-quantile turnover", dates, {"turnover": d["turnover"].tolist()}, percent=True),
        line_chart("Coverage", dates, {"coverage": d["coverage"].tolist()}, percent=True),
    ]
    heading = title or f"{dates[0] if dates else ''} → {dates[-1] if dates else ''}"
    body = [
        f"<h1>Factor: <code>{html.escape(result.expression)}</code></h1>",
        f"<p>{html.escape(heading)}</p>",
        "<h2>Summary</h2>",
        html_table(["metric", "value"], [[k, format_value(k, v)] for k, v in result.summary.items()]),
        "<h2>Mean next-day return by quantile</h2>",
        html_table(
            [g.upper() for g in groups] + ["long–short"],
            [
                [
                    f"{v:.3%}" if math.isfinite(v) else "–"
                    for v in [*result.quantile_returns, result.summary["long_short"]]
                ]
            ],
        ),
        "<h2>IC decay</h2>",
        html_table(
            ["horizon (days)", "IC", "Rank IC"],
            [
                [str(h), format_value("ic", ic), format_value("ic", ric)]
                for h, (ic, ric) in sorted(result.decay.items())
            ],
        ),
        "<h2>Charts</h2>",
        *charts,
        "<h2>Definitions</h2>",
        html_table(["metric", "definition"], [[k, v] for k, v in DEFINITIONS.items()]),
    ]
    return html_page("QDesk factor", body)
