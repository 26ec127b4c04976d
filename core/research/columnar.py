"""Qlib's feature expressions evaluated columnar: every instrument at once, over wide day × instrument frames.

Qlib's handler evaluates each expression instrument by instrument through its expression tree; here a block
of instruments is laid end to end in one long column, each instrument's days after `PAD` rows of NaN (longer
than any window, so no window reaches into the previous instrument), and one pandas rolling call (the same
Cython kernels Qlib calls per series) or one numpy operation covers the whole block. Subexpressions shared
by several features (`Ref($close, 1)`, `Log($volume+1)`) are computed once. Values match Qlib's to float32
precision, NaN positions included.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import numpy as np
import pandas as pd

FIELDS = ("open", "high", "low", "close", "volume", "vwap")
_FIELD = re.compile(r"\$(\w+)")
_STD_ZERO = 2e-05  # Qlib blanks Corr and Rsquare where a rolling std is this close to zero

Frame: TypeAlias = pd.Series
PAD = 128  # NaN rows before each instrument's days: more than the longest window plus shift (61)


def parse(expression: str) -> ast.expr:
    """A Qlib expression ("Mean($close, 5)/$close") as a Python expression tree (fields become names)."""
    return ast.parse(_FIELD.sub(r"\1", expression), mode="eval").body


def field_names(tree: ast.expr) -> set[str]:
    """The fields an expression reads (names that are not operators)."""
    operators = {n.func.id for n in ast.walk(tree) if isinstance(n, ast.Call) and isinstance(n.func, ast.Name)}
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name)} - operators


def shared_nodes(trees: Sequence[ast.expr]) -> set[str]:
    """Subexpressions that occur more than once across `trees`: worth keeping once computed."""
    counts: Counter[str] = Counter()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call | ast.BinOp | ast.Compare):
                counts[ast.unparse(node)] += 1
    return {key for key, n in counts.items() if n > 1}


# Qlib's Rolling operators (and its pair-rolling Corr, Cov): each reads N - 1 rows before its input's window.
_ROLLING = {
    *("Mean", "Sum", "Std", "Var", "Skew", "Kurt", "Max", "Min", "Med", "Mad", "Quantile", "Rank", "Count"),
    *("IdxMax", "IdxMin", "Slope", "Rsquare", "Resi", "Delta", "WMA", "EMA", "Corr", "Cov"),
}


def extended_window(node: ast.expr) -> tuple[int, int]:
    """Rows Qlib reads before and after the requested range to evaluate `node` (its get_extended_window_size).

    Qlib evaluates a whole expression on that one extended range, so its rolling sums start there; doing
    the same keeps even numerically touchy values (a correlation of near-constant series) equal.
    """
    if isinstance(node, ast.Name | ast.Constant):
        return 0, 0
    if isinstance(node, ast.UnaryOp):
        return extended_window(node.operand)
    if isinstance(node, ast.BinOp | ast.Compare):
        right = node.right if isinstance(node, ast.BinOp) else node.comparators[0]
        (ll, lr), (rl, rr) = extended_window(node.left), extended_window(right)
        return max(ll, rl), max(lr, rr)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        name = node.func.id
        numbers = [v for v in map(_literal, node.args) if v is not None]
        n = int(numbers[0]) if numbers else 0  # the window (Quantile's second number is its q)
        sub = [extended_window(a) for a in node.args if _literal(a) is None]
        lft, rgt = max(x[0] for x in sub), max(x[1] for x in sub)
        if name == "Ref":
            return max(lft + n, lft), max(rgt - n, rgt)
        if name in _ROLLING:
            return lft + n - 1, rgt
        return lft, rgt
    raise ValueError(f"unsupported expression: {ast.unparse(node)}")


def _literal(node: ast.expr) -> float | None:
    """A number written in the expression (-2 included), else None."""
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        inner = _literal(node.operand)
        return None if inner is None else -inner
    return _number(node) if isinstance(node, ast.Constant) else None


def _number(node: ast.Constant) -> float:
    if not isinstance(node.value, int | float):
        raise ValueError(f"expected a number, got {ast.unparse(node)}")
    return float(node.value)


class Evaluator:
    """Evaluates parsed expressions over `fields` (name -> day × instrument frame, float32).

    `origin` is the first row Qlib would read for the expression at hand: rows before it are left out
    (NaN), so rolling windows start where Qlib's start. Results are memoised per (subexpression, origin).
    """

    def __init__(
        self,
        fields: dict[str, Frame],
        first: np.ndarray,
        keep: set[str],
        width: int,
        operators: dict[str, Callable[..., Frame]] | None = None,
    ) -> None:
        self.fields = fields
        self.operators = operators if operators is not None else OPERATORS
        self.width = width  # instruments in the block
        self.first = first  # per instrument: the first row of its series, for windows at the start
        self.keep = keep
        self.origin = 0
        self.memo: dict[tuple[str, int], Frame] = {}
        self._cut: dict[tuple[str, int], Frame] = {}
        self._masks: dict[int, np.ndarray] = {}

    def evaluate(self, node: ast.expr, origin: int) -> Frame | float:
        self.origin = max(origin, 0)
        return self(node)

    @property
    def start(self) -> np.ndarray:
        """Per instrument, the first row (of the wide layout, pad included) of the series Qlib reads."""
        return np.maximum(self.first, self.origin) + PAD

    def _outside(self) -> np.ndarray:
        mask = self._masks.get(self.origin)
        if mask is None:
            rows = len(self.fields["close"]) // self.width
            mask = self._masks[self.origin] = np.arange(rows)[:, None] < self.start[None, :]
        return mask

    def wide(self, x: Frame) -> np.ndarray:
        """The long column as rows × instruments (a view)."""
        return np.asarray(x.to_numpy()).reshape(self.width, -1).T

    def long(self, wide: np.ndarray) -> Frame:
        return pd.Series(np.ascontiguousarray(wide.T).ravel())

    def __call__(self, node: ast.expr) -> Frame | float:
        key = ast.unparse(node) if isinstance(node, ast.Call | ast.BinOp | ast.Compare) else ""
        if key and (key, self.origin) in self.memo:
            return self.memo[(key, self.origin)]
        value = self._eval(node)
        if key in self.keep and isinstance(value, pd.Series):
            self.memo[(key, self.origin)] = value
        return value

    def _field(self, name: str) -> Frame:
        if self.origin == 0:
            return self.fields[name]
        cut = self._cut.get((name, self.origin))
        if cut is None:
            values = self.wide(self.fields[name]).copy()
            values[: PAD + self.origin] = np.nan
            cut = self._cut[(name, self.origin)] = self.long(values)
        return cut

    def _eval(self, node: ast.expr) -> Frame | float:
        if isinstance(node, ast.Name):
            return self._field(node.id)
        if isinstance(node, ast.Constant):
            return _number(node)  # a Python float: weak, so float32 operands stay float32 as in Qlib
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
            return -self(node.operand)
        if isinstance(node, ast.BinOp):
            left, right = self(node.left), self(node.right)
            op = _BINARY[type(node.op)]
            return op(left, right)
        if isinstance(node, ast.Compare) and len(node.ops) == 1:
            left, right = self(node.left), self(node.comparators[0])
            # NaN compares False (0), as in Qlib; but rows before the series Qlib reads do not exist there,
            # so they stay NaN and never enter a window.
            flags = self.wide(_COMPARE[type(node.ops[0])](left, right)).copy()
            flags[self._outside()] = np.nan
            return self.long(flags)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
            fn = self.operators.get(node.func.id)
            if fn is None:
                raise ValueError(f"{node.func.id} is not an operator the columnar engine computes")
            return fn(self, *[self(a) for a in node.args])
        raise ValueError(f"unsupported expression: {ast.unparse(node)}")


def _div(a: Any, b: Any) -> Any:
    return a / b


_BINARY: dict[type, Callable[[Any, Any], Any]] = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
    ast.Div: _div,
    ast.Pow: np.power,
}
# Qlib's Gt/Lt give booleans (NaN compares False); rolling means of them count the days.
_COMPARE: dict[type, Callable[[Any, Any], Any]] = {
    ast.Gt: lambda a, b: (a > b).astype(np.float64),
    ast.Lt: lambda a, b: (a < b).astype(np.float64),
    ast.GtE: lambda a, b: (a >= b).astype(np.float64),
    ast.LtE: lambda a, b: (a <= b).astype(np.float64),
    ast.Eq: lambda a, b: (a == b).astype(np.float64),
    ast.NotEq: lambda a, b: (a != b).astype(np.float64),
}


def _rolling(name: str) -> Callable[..., Frame]:
    def op(ev: Evaluator, x: Frame, n: float) -> Frame:
        return getattr(x.rolling(int(n), min_periods=1), name)()

    return op


def _ref(ev: Evaluator, x: Frame, n: float) -> Frame:
    return x.shift(int(n))


def _greater(ev: Evaluator, a: Any, b: Any) -> Frame:
    return np.maximum(a, b)


def _less(ev: Evaluator, a: Any, b: Any) -> Frame:
    return np.minimum(a, b)


def _quantile(ev: Evaluator, x: Frame, n: float, q: float) -> Frame:
    return x.rolling(int(n), min_periods=1).quantile(q)


def _rank(ev: Evaluator, x: Frame, n: float) -> Frame:
    return x.rolling(int(n), min_periods=1).rank(pct=True)


def _corr(ev: Evaluator, a: Frame, b: Frame, n: float) -> Frame:
    w = int(n)
    out = a.rolling(w, min_periods=1).corr(b)
    flat = _near_zero_std(a, w) | _near_zero_std(b, w)
    return out.mask(flat)


def _near_zero_std(x: Frame, w: int) -> np.ndarray:
    std = x.rolling(w, min_periods=1).std().to_numpy()
    return np.asarray(np.isclose(std, 0, atol=_STD_ZERO))


def _by_column(kernel_name: str) -> Callable[..., Frame]:
    """Qlib's own Cython rolling regression kernels, one call per instrument column."""

    def op(ev: Evaluator, x: Frame, n: float) -> Frame:
        from qlib.data._libs import rolling as kernels

        kernel = getattr(kernels, kernel_name)
        # One call per instrument: the kernels keep running sums, and a sum carried over from the previous
        # instrument (even emptied by the pad) leaves a residue that a near-perfect fit's R² would show.
        values = ev.wide(x).astype(np.float64)
        out = np.empty_like(values)
        for j in range(values.shape[1]):
            out[:, j] = kernel(np.ascontiguousarray(values[:, j]), int(n))
        frame = ev.long(out)
        if kernel_name == "rolling_rsquare":
            frame = frame.mask(_near_zero_std(x, int(n)))
        return frame

    return op


def _arg_extreme(largest: bool) -> Callable[..., Frame]:
    """1-based position of the window's max (min), as numpy's argmax of the raw window in Qlib: a NaN in the
    window wins (numpy returns the first NaN), and the window is shorter before the instrument's first day."""

    def op(ev: Evaluator, x: Frame, n: float) -> Frame:
        w = int(n)
        values = ev.wide(x).astype(np.float64)
        t, m = values.shape
        days = np.arange(t)[:, None]
        first = ev.start
        before = days < first[None, :]  # outside the series Qlib read: not part of its window
        fill = -np.inf if largest else np.inf
        padded = np.vstack([np.full((w - 1, m), fill), np.where(before, fill, values)])
        nan_pad = np.vstack([np.zeros((w - 1, m), dtype=bool), np.isnan(values) & ~before])
        windows = np.lib.stride_tricks.sliding_window_view(padded, w, axis=0)  # (t, m, w)
        nans = np.lib.stride_tricks.sliding_window_view(nan_pad, w, axis=0)
        clean = np.where(nans, fill, windows)
        pos = np.argmax(clean, axis=2) if largest else np.argmin(clean, axis=2)
        has_nan = nans.any(axis=2)
        pos = np.where(has_nan, np.argmax(nans, axis=2), pos)
        lead = np.maximum(w - 1 - (days - np.minimum(first[None, :], days)), 0)  # pad rows in the window
        result = (pos - lead + 1).astype(np.float64)
        empty = np.isnan(values)  # a window of NaNs only gives NaN (no observation)
        seen = np.vstack([np.zeros((1, m)), np.cumsum(~empty & ~before, axis=0)])
        counts = seen[1:] - seen[np.maximum(np.arange(1, t + 1) - w, 0)]
        result[(counts == 0) | before] = np.nan
        return ev.long(result)

    return op


def _abs(ev: Evaluator, x: Frame) -> Frame:
    return x.abs()


def _log(ev: Evaluator, x: Frame) -> Frame:
    return np.log(x)


OPERATORS: dict[str, Callable[..., Frame]] = {
    "Ref": _ref,
    "Mean": _rolling("mean"),
    "Sum": _rolling("sum"),
    "Std": _rolling("std"),
    "Max": _rolling("max"),
    "Min": _rolling("min"),
    "Quantile": _quantile,
    "Rank": _rank,
    "Corr": _corr,
    "Slope": _by_column("rolling_slope"),
    "Rsquare": _by_column("rolling_rsquare"),
    "Resi": _by_column("rolling_resi"),
    "IdxMax": _arg_extreme(True),
    "IdxMin": _arg_extreme(False),
    "Greater": _greater,
    "Less": _less,
    "Abs": _abs,
    "Log": _log,
}
