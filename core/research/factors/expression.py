"""Qlib factor expressions checked before any data is read: a bad one fails with its position and operator.

Expressions are Python syntax, as Qlib's own parser turns them into operator calls: fields `$close`,
numbers, `+ - * / **`, comparisons, and calls such as `Mean($close, 5)`. Function forms of arithmetic
and comparisons (`Add(a, b)`, `Gt(a, b)`) become the infix operators, so every expression has one
canonical text (`canonical`), the text the columnar engine evaluates.
"""

from __future__ import annotations

import ast
import re

# Fields of the Qlib export (core.data.qlib_export) a factor may read.
FIELDS = ("open", "high", "low", "close", "volume", "vwap", "amount", "factor", "change")
# Argument kinds: x an expression over fields, e an expression or a number, w a window (integer >= 1),
# s a shift (integer >= 0: a negative Ref reads the future), q a quantile in (0, 1).
OPERATORS: dict[str, str] = {
    **dict.fromkeys(("Mean", "Sum", "Std", "Var", "Max", "Min", "Med", "Count", "Rank"), "xw"),
    **dict.fromkeys(("Delta", "EMA", "Slope", "Rsquare", "Resi", "IdxMax", "IdxMin", "Skew", "Kurt"), "xw"),
    "Ref": "xs",
    "Quantile": "xwq",
    "Corr": "xxw",
    "Cov": "xxw",
    **dict.fromkeys(("Abs", "Sign", "Log", "Not"), "x"),
    **dict.fromkeys(("Greater", "Less", "Power", "And", "Or"), "ee"),
    **dict.fromkeys(("Add", "Sub", "Mul", "Div", "Gt", "Ge", "Lt", "Le", "Eq", "Ne"), "ee"),
    "If": "eee",
}
_MIN_WINDOW = {"Skew": 3, "Kurt": 4, "Corr": 2, "Cov": 2, "Std": 2, "Var": 2, "Slope": 2, "Rsquare": 2, "Resi": 2}
_INFIX: dict[str, ast.operator] = {"Add": ast.Add(), "Sub": ast.Sub(), "Mul": ast.Mult(), "Div": ast.Div()}
_COMPARE: dict[str, ast.cmpop] = {
    "Gt": ast.Gt(),
    "Ge": ast.GtE(),
    "Lt": ast.Lt(),
    "Le": ast.LtE(),
    "Eq": ast.Eq(),
    "Ne": ast.NotEq(),
}
_BINOPS = (ast.Add, ast.Sub, ast.Mult, ast.Div, ast.Pow)
_CMPOPS = (ast.Gt, ast.GtE, ast.Lt, ast.LtE, ast.Eq, ast.NotEq)


class ExpressionError(ValueError):
    """An expression that cannot be evaluated; `position` is 1-based in the text as written."""

    def __init__(self, text: str, position: int, operator: str, reason: str) -> None:
        where = f"at position {position}" + (f" ({operator})" if operator else "")
        super().__init__(f"invalid expression {where}: {reason}")
        self.text, self.position, self.operator, self.reason = text, position, operator, reason


def parse_factor(text: str) -> ast.expr:
    """The checked, normalised tree of `text` (fields as names without `$`); ExpressionError if bad."""
    if not text.strip():
        raise ExpressionError(text, 1, "", "empty expression")
    # `$close` -> `_close` keeps every column where it was, so errors point into the text as written.
    source = re.sub(r"\$(?=\w)", "_", text)
    try:
        tree = ast.parse(source, mode="eval").body
    except SyntaxError as exc:
        position = max(int(exc.offset or 1), 1)
        raise ExpressionError(text, position, _enclosing(text, position), exc.msg) from None
    return _check(text, tree, "")


def canonical(tree: ast.expr) -> str:
    """Qlib's text of a normalised tree (fields with `$`)."""
    return re.sub(r"(?<![\w$])(" + "|".join(FIELDS) + r")\b", r"$\1", ast.unparse(tree))


def normalise(text: str) -> str:
    """`text` checked and written canonically (what a library stores and the engine reads)."""
    return canonical(parse_factor(text))


def fields_of(tree: ast.expr) -> set[str]:
    """The fields a checked tree reads."""
    from core.research.columnar import field_names

    return field_names(tree)


def _enclosing(text: str, position: int) -> str:
    """The innermost operator call still open at `position` (1-based), for syntax errors."""
    stack: list[str] = []
    for match in re.finditer(r"(\w+)\s*\(|\(|\)", text[:position]):
        if match.group(0) == ")":
            if stack:
                stack.pop()
        else:
            stack.append(match.group(1) or "")
    return next((name for name in reversed(stack) if name), "")


def _fail(text: str, node: ast.AST, operator: str, reason: str) -> ExpressionError:
    return ExpressionError(text, getattr(node, "col_offset", 0) + 1, operator, reason)


def _check(text: str, node: ast.expr, op: str) -> ast.expr:
    if isinstance(node, ast.Name):
        col = node.col_offset
        if text[col : col + 1] != "$":
            raise _fail(text, node, op, f"unknown name {node.id!r} (fields are written $close, operators Mean(...))")
        name = node.id[1:]
        if name not in FIELDS:
            raise _fail(text, node, op, f"unknown field ${name}; fields are " + ", ".join("$" + f for f in FIELDS))
        return ast.Name(id=name, ctx=ast.Load())
    if isinstance(node, ast.Constant):
        if isinstance(node.value, bool) or not isinstance(node.value, int | float):
            raise _fail(text, node, op, f"expected a number or an expression, got {node.value!r}")
        return node
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub | ast.UAdd):
        operand = _check(text, node.operand, op)
        if isinstance(operand, ast.Constant) and isinstance(operand.value, int | float):
            return ast.Constant(-operand.value if isinstance(node.op, ast.USub) else operand.value)
        return ast.BinOp(ast.Constant(0), ast.Sub(), operand) if isinstance(node.op, ast.USub) else operand
    if isinstance(node, ast.BinOp) and isinstance(node.op, _BINOPS):
        return _series(text, node, ast.BinOp(_check(text, node.left, op), node.op, _check(text, node.right, op)), op)
    if isinstance(node, ast.Compare) and len(node.ops) == 1 and isinstance(node.ops[0], _CMPOPS):
        left, right = _check(text, node.left, op), _check(text, node.comparators[0], op)
        return _series(text, node, ast.Compare(left, node.ops, [right]), op)
    if isinstance(node, ast.Call):
        return _call(text, node)
    what = type(node).__name__
    if isinstance(node, ast.BinOp | ast.BoolOp):
        what = "& / | (use And(a, b) / Or(a, b))"
    raise _fail(text, node, op, f"unsupported syntax: {what}")


def _series(text: str, node: ast.AST, built: ast.expr, op: str) -> ast.expr:
    """Refuse an operation on numbers alone: a factor must read at least one field."""
    if not fields_of(built):
        raise _fail(text, node, op, "an operation on numbers alone (no $field)")
    return built


def _call(text: str, node: ast.Call) -> ast.expr:
    if not isinstance(node.func, ast.Name):
        raise _fail(text, node, "", "an operator call must be a name such as Mean(...)")
    name = node.func.id
    kinds = OPERATORS.get(name)
    if kinds is None:
        known = ", ".join(sorted(OPERATORS))
        raise _fail(text, node, name, f"unknown operator {name}; operators are {known}")
    if node.keywords:
        raise _fail(text, node.keywords[0].value, name, "keyword arguments are not supported")
    if len(node.args) != len(kinds):
        raise _fail(text, node, name, f"expects {len(kinds)} arguments, got {len(node.args)}")
    args = [_argument(text, name, kind, arg) for kind, arg in zip(kinds, node.args, strict=True)]
    if name in _INFIX:
        return _series(text, node, ast.BinOp(args[0], _INFIX[name], args[1]), name)
    if name in _COMPARE:
        return _series(text, node, ast.Compare(args[0], [_COMPARE[name]], [args[1]]), name)
    return _series(text, node, ast.Call(ast.Name(id=name, ctx=ast.Load()), args, []), name)


def _argument(text: str, name: str, kind: str, arg: ast.expr) -> ast.expr:
    checked = _check(text, arg, name)
    if kind in "xe":
        if kind == "x" and isinstance(checked, ast.Constant):
            raise _fail(text, arg, name, "expects an expression over fields here, got a number")
        return checked
    value = checked.value if isinstance(checked, ast.Constant) else None
    if kind == "q":
        if not isinstance(value, int | float) or not 0 < value < 1:
            raise _fail(text, arg, name, "expects a quantile between 0 and 1")
        return checked
    if not isinstance(value, int) or isinstance(value, bool):
        raise _fail(text, arg, name, "expects a whole number of days here")
    least = 0 if kind == "s" else _MIN_WINDOW.get(name, 1)
    if value < least:
        reason = "reads the future (a negative shift)" if kind == "s" else f"needs a window of at least {least}"
        raise _fail(text, arg, name, reason)
    return checked
