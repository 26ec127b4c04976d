"""Factor expressions are checked before any data is read: errors name the position and the operator."""

from __future__ import annotations

import pytest

from core.research.factors.expression import ExpressionError, fields_of, normalise, parse_factor


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("Ref($close,5)/$close-1", "Ref($close, 5) / $close - 1"),
        ("Corr($close,$volume,10)", "Corr($close, $volume, 10)"),
        ("Add(Gt($close, $open), 1)", "($close > $open) + 1"),
        ("Div(Sub($high, $low), $close)", "($high - $low) / $close"),
        ("-$close", "0 - $close"),
        ("If($close >= $open, Mean($close, 5), -1)", "If($close >= $open, Mean($close, 5), -1)"),
        ("Quantile($close, 20, 0.8)", "Quantile($close, 20, 0.8)"),
        ("$close ** 2", "$close ** 2"),
    ],
)
def test_canonical_text(text: str, canonical: str) -> None:
    assert normalise(text) == canonical
    assert normalise(canonical) == canonical  # a fixed point: what is stored reads back the same


@pytest.mark.parametrize(
    ("text", "position", "operator", "reason"),
    [
        ("Foo($close)", 1, "Foo", "unknown operator Foo"),
        ("Mean($clos, 5)", 6, "Mean", "unknown field $clos"),
        ("Mean($close)", 1, "Mean", "expects 2 arguments, got 1"),
        ("Mean($close, 0)", 14, "Mean", "needs a window of at least 1"),
        ("Skew($close, 2)", 14, "Skew", "needs a window of at least 3"),
        ("Mean($close, 2.5)", 14, "Mean", "whole number of days"),
        ("Ref($close, -1)", 13, "Ref", "reads the future"),
        ("Quantile($close, 10, 1.5)", 22, "Quantile", "between 0 and 1"),
        ("Mean(5, 5)", 6, "Mean", "expression over fields"),
        ("Abs($close) + Log(close)", 19, "Log", "unknown name 'close'"),
        ("Mean($close, 5", 5, "Mean", "never closed"),
        ("Corr($close, $volume 10)", 14, "Corr", "syntax"),
        ("Mean($close, w=5)", 16, "Mean", "keyword"),
        ("$close & $open", 1, "", "And(a, b)"),
        ("1 + 2", 1, "", "numbers alone"),
        ("Greater(1, 2)", 1, "Greater", "numbers alone"),
        ("", 1, "", "empty"),
    ],
)
def test_bad_expressions_name_position_and_operator(text: str, position: int, operator: str, reason: str) -> None:
    with pytest.raises(ExpressionError) as caught:
        parse_factor(text)
    error = caught.value
    assert (error.position, error.operator) == (position, operator), str(error)
    assert reason.lower() in str(error).lower()
    assert "\n" not in str(error) and str(error).startswith(f"invalid expression at position {position}")


def test_fields_of_a_tree() -> None:
    assert fields_of(parse_factor("Corr($close, Log($volume + 1), 10) * $vwap")) == {"close", "volume", "vwap"}
