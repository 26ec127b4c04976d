"""Short, language-neutral texts for metric values: numbers with units, never words that need translating."""

from __future__ import annotations

from collections.abc import Callable

from core.monitor.samples import Value

NA = "n/a"


def _bytes(value: float) -> str:
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if abs(value) < 1024 or unit == "TB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TB"


def _money(value: float) -> str:
    # A-share accounts think in 万 (10,000); plain digits with separators read fine in both languages.
    return f"{value:,.0f}"


FORMATS: dict[str, Callable[[float], str]] = {
    "pct": lambda v: f"{v:.1f} %",
    "bytes": _bytes,
    "ms": lambda v: f"{v:.0f} ms" if v >= 10 else f"{v:.1f} ms",
    "rate": lambda v: f"{v:,.0f} /s" if v >= 10 else f"{v:.1f} /s",
    "count": lambda v: f"{v:,.0f}",
    "days": lambda v: f"{v:.0f}" if float(v).is_integer() else f"{v:.1f}",
    "ic": lambda v: f"{v:+.3f}",
    "money": _money,
}


def format_value(value: Value, kind: str) -> str:
    """`value` as the panel shows it; None is n/a, texts pass through."""
    if value is None:
        return NA
    if isinstance(value, str):
        return value or "–"
    formatter = FORMATS.get(kind)
    return formatter(float(value)) if formatter is not None else f"{value:g}"
