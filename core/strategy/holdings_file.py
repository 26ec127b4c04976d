"""Holdings and cash typed in by the user for a plan: a CSV of symbol,shares checked line by line."""

from __future__ import annotations

import csv
import math
from collections.abc import Container
from pathlib import Path

from core.domain.symbols import SymbolFormatError, parse_symbol


def read_positions(path: Path | str, known: Container[str] | None = None) -> dict[str, int]:
    """`symbol,shares` rows → shares per symbol; ValueError names the file, line and field of a bad row.

    Refused: missing columns, unparsable symbols or counts, negative or fractional shares, a symbol twice,
    and (with `known`) a symbol the store has no bars for.
    """
    path = Path(path)
    holdings: dict[str, int] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = {"symbol", "shares"} - set(reader.fieldnames or ())
            if missing:
                raise ValueError(f"{path}:1: missing column(s) {', '.join(sorted(missing))} (expected symbol,shares)")
            for line, row in enumerate(reader, start=2):
                text = (row.get("symbol") or "").strip()
                try:
                    symbol = str(parse_symbol(text))
                except SymbolFormatError:
                    raise ValueError(f"{path}:{line}: symbol: bad symbol {text!r}") from None
                holdings[symbol] = _shares(path, line, row.get("shares"), symbol, holdings)
                if known is not None and symbol not in known:
                    raise ValueError(f"{path}:{line}: symbol: {symbol} has no bars in the store")
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from None
    return {s: q for s, q in holdings.items() if q > 0}


def _shares(path: Path, line: int, raw: str | None, symbol: str, seen: dict[str, int]) -> int:
    if symbol in seen:
        raise ValueError(f"{path}:{line}: symbol: {symbol} is listed twice")
    text = (raw or "").strip()
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{path}:{line}: shares: expected a whole number of shares, got {text!r}") from None
    if not math.isfinite(value) or value < 0 or value != int(value):
        raise ValueError(f"{path}:{line}: shares: expected a whole number of shares >= 0, got {text!r}")
    return int(value)


def check_cash(cash: float, name: str = "--cash") -> float:
    """Cash for a plan: a finite amount, not negative."""
    if not math.isfinite(cash) or cash < 0:
        raise ValueError(f"{name} must be a finite amount >= 0, got {cash}")
    return cash
