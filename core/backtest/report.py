"""Write a backtest's report: one self-contained HTML file (inline SVG charts) and CSV tables."""

from __future__ import annotations

import html
import math
from dataclasses import asdict
from pathlib import Path
from typing import TYPE_CHECKING

from core.backtest.run import BacktestResult
from core.backtest.svg import heat_colour, line_chart

if TYPE_CHECKING:
    import pandas as pd

PERCENT_METRICS = {
    "total_return",
    "annualized_return",
    "volatility",
    "max_drawdown",
    "win_rate_days",
    "turnover",
    "excess_return",
    "excess_annualized",
    "excess_return_without_cost",
    "excess_annualized_without_cost",
    "benchmark_return",
    "win_rate",
}
_TRADE_ROWS = 500  # the HTML lists the first trades; the CSV has all of them
DEFINITIONS = {
    "total_return": "final equity / initial cash − 1, after every cost",
    "annualized_return": "(1 + total return) ^ (days per year / trading days) − 1",
    "benchmark_return": "the benchmark's compounded return over the same days",
    "excess_return": "sum of daily (strategy − benchmark) returns, after costs",
    "excess_annualized": "mean daily excess return × days per year",
    "excess_return_without_cost": "the same sum with each day's fees added back",
    "information_ratio": "mean / standard deviation of the daily excess return × √(days per year)",
    "volatility": "standard deviation of daily returns × √(days per year)",
    "sharpe": "mean / standard deviation of daily returns × √(days per year), no risk-free rate",
    "sortino": "mean daily return / root mean square of the negative ones × √(days per year)",
    "max_drawdown": "deepest fall of equity from a running peak; days: peak to recovery (or to the end)",
    "calmar": "annualized return / |max drawdown|",
    "turnover": "mean daily (bought + sold) / 2 / previous equity",
    "win_rate": "share of sells with a positive pnl net of both sides' costs",
    "profit_factor": "gains / losses over those sells",
    "ic": "mean daily Pearson correlation of the score with the fill-to-fill return (see basis)",
    "rank_ic": "the same with ranks (Spearman)",
}


def format_metric(name: str, value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if name in PERCENT_METRICS:
        return f"{value:.2%}"
    if name in ("costs_paid",):
        return f"{value:,.0f}"
    if name in ("trades", "trading_days", "max_drawdown_days"):
        return f"{value:,.0f}"
    return f"{value:.3f}"


def write_report(result: BacktestResult, folder: Path | str) -> dict[str, Path]:
    """report.html and daily, trades, positions, refusals, skipped, monthly, yearly, cost_sensitivity and
    metrics CSV files in `folder`.

    Each file is written to a temporary name and renamed, so a failed export leaves no half-written file.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    import pandas as pd

    metrics = pd.DataFrame({"metric": list(result.metrics), "value": list(result.metrics.values())})
    frames = {
        "daily.csv": result.daily.reset_index(),
        "trades.csv": result.trades,
        "positions.csv": result.positions,
        "refusals.csv": result.refusals,
        "monthly.csv": result.monthly_returns().reset_index(),
        "yearly.csv": result.yearly().reset_index(),
        "cost_sensitivity.csv": result.cost_sensitivity().reset_index(),
        "skipped.csv": result.skipped if result.skipped is not None else pd.DataFrame(),
        "metrics.csv": metrics,
    }
    written: dict[str, Path] = {}
    for name, frame in frames.items():
        written[name] = atomic_write(folder / name, frame.to_csv(index=False, float_format="%.10g"))
    written["report.html"] = atomic_write(folder / "report.html", render_html(result))
    return written


def atomic_write(path: Path, text: str) -> Path:
    """Write to a temporary name and rename: a failed write leaves no half-written file."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
    return path


def render_html(result: BacktestResult) -> str:
    d = result.daily
    dates = [t.strftime("%Y-%m-%d") for t in d.index]
    equity = (d["equity"] / result.config.initial_cash).tolist()
    curves: dict[str, list[float]] = {"strategy": equity}
    if "benchmark" in d:
        base = d["benchmark"].dropna()
        if len(base):
            curves[result.config.benchmark or "benchmark"] = (d["benchmark"] / base.iloc[0]).tolist()
    charts = [line_chart("Equity (start = 1)", dates, curves)]
    if "excess" in d:
        charts.append(line_chart("Cumulative excess return", dates, {"excess": d["excess"].tolist()}, percent=True))
    charts.append(line_chart("Drawdown", dates, {"drawdown": d["drawdown"].tolist()}, percent=True, fill=True))
    charts.append(line_chart("Positions held", dates, {"positions": d["positions"].astype(float).tolist()}))
    charts.append(line_chart("Turnover (one way, daily)", dates, {"turnover": d["turnover"].tolist()}, percent=True))
    cfg = result.config
    settings = {
        "strategy": result.strategy,
        "start": str(cfg.start),
        "end": str(cfg.end),
        "deal price": cfg.deal_price,
        "initial cash": f"{cfg.initial_cash:,.0f}",
        "benchmark": cfg.benchmark or "–",
        "mode": cfg.mode,
        "days per year (annualization)": str(cfg.annualization),
        "IC basis": result.ic_basis or "–",
        **{f"rules.{k}": str(v) for k, v in asdict(cfg.rules).items()},
    }
    body = [
        f"<h1>Backtest: {html.escape(result.strategy)} {cfg.start} → {cfg.end}</h1>",
        "<h2>Metrics</h2>",
        html_table(["metric", "value"], [[k, format_metric(k, v)] for k, v in result.metrics.items()]),
        "<h2>Yearly</h2>",
        _frame(result.yearly()),
        "<h2>Cost and slippage sensitivity</h2>",
        "<p>The same trades with more cost on each side's traded value (first-order: orders are not re-sized).</p>",
        _frame(result.cost_sensitivity()),
        "<h2>Trades refused by rule</h2>",
        html_table(["rule", "orders"], [[k, str(v)] for k, v in sorted(result.refused.items())] or [["–", "0"]]),
        "<h2>Skipped by the strategy (not tradable on the execution day)</h2>",
        html_table(
            ["reason", "names"], [[k, str(v)] for k, v in sorted(result.skipped_counts.items())] or [["–", "0"]]
        ),
        "<h2>Charts</h2>",
        *charts,
        "<h2>Monthly returns</h2>",
        _monthly(result),
        f"<h2>Trades (first {_TRADE_ROWS}; all in trades.csv)</h2>",
        html_table(
            list(result.trades.columns),
            [[_cell(v) for v in row] for row in result.trades.head(_TRADE_ROWS).itertuples(index=False)],
        ),
        "<h2>Final positions</h2>",
        _final_positions(result),
        "<h2>Settings</h2>",
        html_table(["setting", "value"], [[k, v] for k, v in settings.items()]),
        "<h2>Metric definitions</h2>",
        html_table(["metric", "definition"], [[k, v] for k, v in DEFINITIONS.items()]),
        *(f"<p class=note>{html.escape(n)}</p>" for n in result.notes),
    ]
    return html_page("QDesk backtest", body)


def html_page(title: str, body: list[str]) -> str:
    """A self-contained page (inline style, nothing fetched) around the report's sections."""
    return (
        f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(title)}</title><style>"
        "body{font-family:sans-serif;margin:24px;max-width:960px}table{border-collapse:collapse;"
        "font-size:12px;margin:8px 0}td,th{border:1px solid #ccc;padding:2px 6px;text-align:right}"
        "th{background:#f0f0f0}.note{color:#a60}</style></head><body>" + "\n".join(body) + "</body></html>"
    )


def _cell(v: object) -> str:
    if isinstance(v, float):
        return f"{v:,.2f}"
    return str(v)


def html_table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _frame(frame: pd.DataFrame) -> str:
    if frame.empty:
        return "<p>none</p>"
    head = [str(frame.index.name or ""), *map(str, frame.columns)]
    rows = [
        [str(idx), *(format_metric(str(c), float(v)) if c != "days" else f"{v:.0f}" for c, v in row.items())]
        for idx, row in frame.iterrows()
    ]
    return html_table(head, rows)


def _monthly(result: BacktestResult) -> str:
    table = result.monthly_returns()
    finite = [abs(v) for v in table.to_numpy().ravel() if math.isfinite(v)]
    scale = max(finite) if finite else 0.0
    head = "<th>year</th>" + "".join(f"<th>{m}</th>" for m in table.columns)
    rows = []
    for year, row in table.iterrows():
        cells = "".join(
            f"<td style='background:{heat_colour(v, scale)}'>{'' if math.isnan(v) else f'{v:.1%}'}</td>" for v in row
        )
        rows.append(f"<tr><th>{year}</th>{cells}</tr>")
    return f"<table><tr>{head}</tr>{''.join(rows)}</table>"


def _final_positions(result: BacktestResult) -> str:
    p = result.positions
    if p.empty:
        return "<p>none</p>"
    last = p[p["date"] == p["date"].max()]
    return html_table(list(last.columns), [[_cell(v) for v in row] for row in last.itertuples(index=False)])
