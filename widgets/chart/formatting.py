"""Text for prices, volumes, changes and bar times in the chart, in the user's language."""

from __future__ import annotations

import math

import numpy as np
from PySide6.QtCore import QCoreApplication

from widgets.tr import QT_TRANSLATE_NOOP

_WEEKDAYS = (
    QT_TRANSLATE_NOOP("ChartPanel", "Mon"),
    QT_TRANSLATE_NOOP("ChartPanel", "Tue"),
    QT_TRANSLATE_NOOP("ChartPanel", "Wed"),
    QT_TRANSLATE_NOOP("ChartPanel", "Thu"),
    QT_TRANSLATE_NOOP("ChartPanel", "Fri"),
    QT_TRANSLATE_NOOP("ChartPanel", "Sat"),
    QT_TRANSLATE_NOOP("ChartPanel", "Sun"),
)
DASH = "—"


def number_units() -> list[tuple[float, str]]:
    """Scale/suffix pairs for large numbers, largest first, as the current language groups digits."""
    # The translation swaps the whole scheme: Chinese groups by 万 (1e4) and 亿 (1e8), not by thousands.
    spec = QCoreApplication.translate("ChartPanel", "1e3:K,1e6:M,1e9:B")
    units: list[tuple[float, str]] = []
    for part in spec.split(","):
        scale, _, suffix = part.partition(":")
        try:
            units.append((float(scale), suffix))
        except ValueError:
            continue
    return sorted(units, reverse=True)


def format_price(value: float, decimals: int = 2) -> str:
    return DASH if not math.isfinite(value) else f"{value:.{decimals}f}"


def format_volume(value: float, units: list[tuple[float, str]] | None = None) -> str:
    """A volume or amount with a unit suffix once it is large (12.3万, 1.52亿 / 123.4K, 1.52M)."""
    if not math.isfinite(value):
        return DASH
    for scale, suffix in units if units is not None else number_units():
        if abs(value) >= scale:
            scaled = value / scale
            return f"{scaled:.2f}{suffix}" if abs(scaled) < 100 else f"{scaled:.1f}{suffix}"
    return f"{value:.0f}"


def format_change(change: float, pct: float, decimals: int = 2) -> str:
    if not (math.isfinite(change) and math.isfinite(pct)):
        return DASH
    return f"{change:+.{decimals}f} ({pct:+.2f}%)"


def format_value(value: float) -> str:
    """An indicator value: enough digits for prices and oscillators alike."""
    if not math.isfinite(value):
        return DASH
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.2f}"


def format_bar_time(time: np.datetime64, intraday: bool) -> str:
    """'2018-01-15 Mon' for day bars, '2018-01-15 10:30' for intraday bars."""
    text = str(time.astype("datetime64[m]" if intraday else "datetime64[D]")).replace("T", " ")
    if intraday:
        return text
    weekday = int((time.astype("datetime64[D]").astype(np.int64) + 3) % 7)  # 1970-01-01 was a Thursday
    return f"{text} {QCoreApplication.translate('ChartPanel', _WEEKDAYS[weekday])}"


def format_axis_time(time: np.datetime64, level: int, with_year: bool = False) -> str:
    """Axis tick text for a boundary `level`: 4 year, 3 month, 2 day, 1 hour, 0 any bar.

    `with_year` (the leftmost label) spells the date out in full, so every view says which year it is.
    """
    text = str(time.astype("datetime64[m]")).replace("T", " ")
    if level >= 4:
        return text[:4]
    if level == 3:
        return text[:7]
    if level == 2:
        return text[:10] if with_year else text[5:10]
    return text[:16] if with_year else text[11:16]
