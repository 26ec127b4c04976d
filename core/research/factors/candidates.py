"""The arrays a factor search reads (once per worker) and the scoring of one candidate on them.

Candidates are scored on the train and valid segments only; the test segment is scored by a separate
function the search calls for its finalists alone, so no choice can depend on the test period.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from core.datasets.config import Segments
from core.research.columnar import PAD, Evaluator, extended_window, parse
from core.research.factors.engine import forward_return, trading_days
from core.research.factors.expression import parse_factor
from core.research.factors.metrics import daily_ic, daily_rank_ic
from core.research.feature_blocks import member_rows, read_bins

SEARCH_FIELDS = ("open", "high", "low", "close", "volume", "vwap")
LOOKBACK = 120  # calendar rows read before the train start: the longest look-back a candidate may have


@dataclass(frozen=True)
class SearchData:
    """Fields in the columnar engine's layout over the whole span, and per segment the day rows it scores."""

    fields: dict[str, pd.Series]
    first: np.ndarray
    width: int
    origin: int  # row (after the pad) of the train start in the fields
    members: np.ndarray  # bool, day × instrument over train start .. test end
    returns: np.ndarray  # next-day return (the standard label), same shape
    segments: dict[str, slice]  # rows of members/returns per segment


@dataclass(frozen=True, slots=True)
class Score:
    """IC and Rank IC means of a candidate on one or more segments (NaN where it has no values)."""

    expression: str
    ic: dict[str, float]
    rank_ic: dict[str, float]
    error: str = ""


def load_search_data(provider: Path, spans: dict[str, list[tuple[Any, Any]]], segments: Segments) -> SearchData:
    """Read the universe's fields over the segments (plus look-back and two days ahead for the label)."""
    from core.research.factors.operators import FACTOR_OPERATORS

    days = trading_days(provider)
    s_idx = int(days.searchsorted(pd.Timestamp(segments.start)))
    e_idx = int(days.searchsorted(pd.Timestamp(segments.end), side="right")) - 1
    if e_idx < s_idx:
        raise ValueError(f"no trading days between {segments.start} and {segments.end}")
    lo, hi = max(s_idx - LOOKBACK, 0), min(e_idx + 2, len(days) - 1)
    codes = sorted(spans)
    fields, first, last = read_bins(provider, codes, lo, hi, SEARCH_FIELDS)
    a, b = s_idx - lo, e_idx - lo
    t_rows, j_cols = member_rows(first, last, codes, spans, days[lo : hi + 1], a, b)
    members = np.zeros((b - a + 1, len(codes)), dtype=bool)
    members[t_rows - a, j_cols] = True
    ev = Evaluator(fields, first, set(), len(codes), FACTOR_OPERATORS)
    label = parse(forward_return(1))  # the label looks ahead by design: not a factor, not checked as one
    value = ev.evaluate(label, a - extended_window(label)[0])
    assert isinstance(value, pd.Series)
    returns = np.where(members, ev.wide(value)[PAD + a : PAD + b + 1], np.nan).astype(np.float32)
    span = days[s_idx : e_idx + 1]
    rows = {
        name: slice(int(span.searchsorted(pd.Timestamp(x))), int(span.searchsorted(pd.Timestamp(y), side="right")))
        for name, (x, y) in segments.as_dict().items()
    }
    return SearchData(fields, first, len(codes), a, members, returns, rows)


def factor_values(data: SearchData, expression: str) -> np.ndarray:
    """The candidate on the members' days (day × instrument over the segments), NaN elsewhere."""
    from core.research.factors.operators import FACTOR_OPERATORS

    tree = parse_factor(expression)
    back = extended_window(tree)[0]
    if back > LOOKBACK:
        raise ValueError(f"looks back {back} days, more than the search reads ({LOOKBACK})")
    ev = Evaluator(data.fields, data.first, set(), data.width, FACTOR_OPERATORS)
    with np.errstate(all="ignore"):  # a log of a negative or a division by zero is NaN or inf, then dropped
        value = ev.evaluate(tree, data.origin - back)
    if not isinstance(value, pd.Series):
        raise ValueError("a constant, not a factor")
    rows = data.members.shape[0]
    with np.errstate(all="ignore"):
        wide = ev.wide(value)[PAD + data.origin : PAD + data.origin + rows].astype(np.float32)
    wide[~np.isfinite(wide)] = np.nan
    return np.where(data.members, wide, np.nan)


def _score(data: SearchData, expression: str, names: tuple[str, ...]) -> Score:
    try:
        values = factor_values(data, expression)
    except (ValueError, ArithmeticError) as exc:
        nan = dict.fromkeys(names, math.nan)
        return Score(expression, nan, dict(nan), str(exc))
    ic, rank_ic = {}, {}
    for name in names:
        rows = data.segments[name]
        x, y = values[rows], data.returns[rows]
        daily, ranked = daily_ic(x, y), daily_rank_ic(x, y)
        ic[name] = float(np.nanmean(daily)) if np.isfinite(daily).any() else math.nan
        rank_ic[name] = float(np.nanmean(ranked)) if np.isfinite(ranked).any() else math.nan
    return Score(expression, ic, rank_ic)


def score_candidate(data: SearchData, expression: str) -> Score:
    """A candidate on train and valid: all that choosing between candidates may read."""
    return _score(data, expression, ("train", "valid"))


def score_finalist(data: SearchData, expression: str) -> Score:
    """A finalist on the test segment, once it is chosen."""
    return _score(data, expression, ("test",))
