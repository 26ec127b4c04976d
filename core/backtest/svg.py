"""Tiny self-contained SVG charts for the HTML report (no plotting library, nothing fetched)."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

_W, _H, _PAD_L, _PAD_R, _PAD_T, _PAD_B = 900, 260, 64, 16, 24, 28
COLOURS = ("#c0392b", "#2c3e50", "#27ae60", "#8e44ad", "#e67e22", "#16a085")


def line_chart(
    title: str, dates: Sequence[str], series: Mapping[str, Sequence[float]], percent: bool = False, fill: bool = False
) -> str:
    """Lines over a shared date axis; NaNs break nothing (they are skipped)."""
    values = [v for s in series.values() for v in s if v is not None and math.isfinite(v)]
    if not values or len(dates) < 2:
        return f"<p>{html.escape(title)}: no data</p>"
    lo, hi = min(values), max(values)
    if hi == lo:
        hi, lo = hi + 1, lo - 1
    n = len(dates)

    def x(k: int) -> float:
        return _PAD_L + (_W - _PAD_L - _PAD_R) * k / (n - 1)

    def y(v: float) -> float:
        return _PAD_T + (_H - _PAD_T - _PAD_B) * (hi - v) / (hi - lo)

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {_W} {_H}" width="100%" role="img">',
        f'<text x="{_PAD_L}" y="16" font-size="13" font-weight="bold">{html.escape(title)}</text>',
    ]
    for t in range(5):
        v = lo + (hi - lo) * t / 4
        label = f"{v:.1%}" if percent else f"{v:,.3g}"
        parts.append(
            f'<line x1="{_PAD_L}" x2="{_W - _PAD_R}" y1="{y(v):.1f}" y2="{y(v):.1f}" stroke="#ddd"/>'
            f'<text x="{_PAD_L - 4}" y="{y(v) + 4:.1f}" font-size="10" text-anchor="end">{label}</text>'
        )
    for k in sorted({0, n // 2, n - 1}):
        # The first and last labels align inwards, so the last date stays inside the chart.
        anchor = "start" if k == 0 else "end" if k == n - 1 else "middle"
        label = html.escape(str(dates[k]))
        parts.append(f'<text x="{x(k):.1f}" y="{_H - 8}" font-size="10" text-anchor="{anchor}">{label}</text>')
    for c, (name, s) in enumerate(series.items()):
        colour = COLOURS[c % len(COLOURS)]
        pts = " ".join(f"{x(k):.1f},{y(v):.1f}" for k, v in enumerate(s) if v is not None and math.isfinite(v))
        if fill:
            parts.append(
                f'<polygon points="{x(0):.1f},{y(0 if lo <= 0 <= hi else lo):.1f} {pts} '
                f'{x(n - 1):.1f},{y(0 if lo <= 0 <= hi else lo):.1f}" fill="{colour}" opacity="0.25"/>'
            )
        parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="1.4"/>')
        parts.append(
            f'<text x="{_W - _PAD_R - 150 + 0}" y="{16 + 14 * c}" font-size="11" fill="{colour}">'
            f"■ {html.escape(name)}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)


def heat_colour(v: float, scale: float) -> str:
    """Red for gains, green for losses (the A-share convention), white near zero."""
    if not math.isfinite(v):
        return "#f5f5f5"
    a = min(abs(v) / scale, 1.0) if scale > 0 else 0.0
    r, g, b = (192, 57, 43) if v > 0 else (39, 174, 96)
    mix = [round(255 + (c - 255) * a) for c in (r, g, b)]
    return "#{:02x}{:02x}{:02x}".format(*mix)
