"""Risk-warning (ST, *ST) periods: which symbol traded under the narrower limit when, read from a CSV file."""

from __future__ import annotations

import csv
import datetime as dt
import re
from pathlib import Path

from core.domain.symbols import SymbolFormatError, parse_symbol

Intervals = dict[str, list[tuple[str, str]]]
# The exchanges mark risk-warning stocks in the short name: ST, *ST, and the S-prefixed forms of the
# share-reform years (SST, S*ST).
_RISK_WARNING_NAME = re.compile(r"^\s*S?\*?ST")


def is_risk_warning_name(name: str) -> bool:
    """Whether a short name carries the exchanges' risk-warning mark (ST, *ST, SST, S*ST)."""
    return bool(_RISK_WARNING_NAME.match(name or ""))


def read_risk_warning_file(path: Path | str) -> Intervals:
    """`symbol,start,end` rows (dates inclusive; an empty end = still under warning) -> intervals per symbol.

    Bars carry no ST flag, so the user supplies the periods; a bad row raises ValueError naming file and line.
    """
    path = Path(path)
    out: Intervals = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            missing = {"symbol", "start"} - set(reader.fieldnames or ())
            if missing:
                names = ", ".join(sorted(missing))
                raise ValueError(f"{path}:1: missing column(s) {names} (expected symbol,start,end)")
            for line, row in enumerate(reader, start=2):
                try:
                    symbol = str(parse_symbol(row["symbol"] or ""))
                    start = dt.date.fromisoformat((row["start"] or "").strip()).isoformat()
                    end_text = (row.get("end") or "").strip()
                    end = dt.date.fromisoformat(end_text).isoformat() if end_text else "9999-12-31"
                except (SymbolFormatError, ValueError) as exc:
                    raise ValueError(f"{path}:{line}: {exc}") from None
                if end < start:
                    raise ValueError(f"{path}:{line}: end {end} is before start {start}")
                out.setdefault(symbol, []).append((start, end))
    except OSError as exc:
        raise ValueError(f"{path}: {exc.strerror or exc}") from None
    return out
