"""The operators factors use beyond Alpha158's, on the columnar engine's long columns (Qlib's semantics)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from core.research.columnar import OPERATORS as ALPHA_OPERATORS
from core.research.columnar import Evaluator, Frame


def _rolling(name: str) -> Callable[..., Frame]:
    def op(ev: Evaluator, x: Frame, n: float) -> Frame:
        return getattr(x.rolling(int(n), min_periods=1), name)()

    return op


def _delta(ev: Evaluator, x: Frame, n: float) -> Frame:
    return x - x.shift(int(n))


def _cov(ev: Evaluator, a: Frame, b: Frame, n: float) -> Frame:
    return a.rolling(int(n), min_periods=1).cov(b)


def _ema(ev: Evaluator, x: Frame, n: float) -> Frame:
    # Column by column: an exponential weight never reaches back into the previous instrument.
    wide = pd.DataFrame(ev.wide(x)).ewm(span=int(n), min_periods=1).mean()
    return ev.long(wide.to_numpy())


def _sign(ev: Evaluator, x: Frame) -> Frame:
    return np.sign(x.astype(np.float32))


def _power(ev: Evaluator, a: Any, b: Any) -> Frame:
    return np.power(a, b)


def _flags(ev: Evaluator, values: Any) -> Frame:
    """0/1 flags as the engine keeps comparisons: NaN on rows Qlib never reads, so no window counts them."""
    flags = ev.wide(pd.Series(values, dtype=np.float64)).copy()
    flags[ev._outside()] = np.nan
    return ev.long(flags)


def _truth(x: Any) -> Any:
    # numpy's truth of a value: NaN counts as true, as np.where and np.bitwise_* read Qlib's inputs.
    return np.asarray(x) != 0


def _and(ev: Evaluator, a: Any, b: Any) -> Frame:
    return _flags(ev, _truth(a) & _truth(b))


def _or(ev: Evaluator, a: Any, b: Any) -> Frame:
    return _flags(ev, _truth(a) | _truth(b))


def _not(ev: Evaluator, x: Frame) -> Frame:
    return _flags(ev, ~_truth(x))


def _if(ev: Evaluator, cond: Any, a: Any, b: Any) -> Frame:
    rows = len(ev.fields["close"])
    left = a.to_numpy() if isinstance(a, pd.Series) else np.full(rows, a)
    right = b.to_numpy() if isinstance(b, pd.Series) else np.full(rows, b)
    chosen = np.where(_truth(cond.to_numpy() if isinstance(cond, pd.Series) else cond), left, right)
    values = ev.wide(pd.Series(chosen.astype(np.float64))).copy()
    values[ev._outside()] = np.nan
    return ev.long(values)


FACTOR_OPERATORS: dict[str, Callable[..., Frame]] = {
    **ALPHA_OPERATORS,
    "Var": _rolling("var"),
    "Skew": _rolling("skew"),
    "Kurt": _rolling("kurt"),
    "Med": _rolling("median"),
    "Count": _rolling("count"),
    "Delta": _delta,
    "Cov": _cov,
    "EMA": _ema,
    "Sign": _sign,
    "Power": _power,
    "And": _and,
    "Or": _or,
    "Not": _not,
    "If": _if,
}
