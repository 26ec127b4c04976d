"""The chart's drawings per symbol, kept beside chart_state.json between sessions, in real prices.

A drawing is made on adjusted prices (前复权/后复权) but saved in real, traded prices: the factor of the
bar it is anchored on converts it, so it stays on the same bars under any adjustment and after a new
dividend moves every adjusted price. Files of version 1 held prices as drawn; they are read as drawn in
the chart's adjustment and converted to real prices the first time their symbol is charted.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject

from app.session_files import read_json, write_json
from core.market.adjust import FactorTimeline
from core.market.series import Adjust, BarSeries
from widgets.chart.drawings import DRAWING_KINDS, POINTS_NEEDED, ChartDrawing
from widgets.chart_panel import ChartPanel

log = logging.getLogger(__name__)
CHART_DRAWINGS_FILE = "chart_drawings.json"
FILE_VERSION = 2


@dataclass(frozen=True, slots=True)
class SavedDrawing:
    """A drawing as kept on disk; `prices` is the adjustment its prices are in (NONE: real prices)."""

    drawing: ChartDrawing
    prices: Adjust = Adjust.NONE


def convert(drawing: ChartDrawing, factors: FactorTimeline, source: Adjust, target: Adjust) -> ChartDrawing:
    """`drawing` with each anchor's price moved from adjustment `source` to `target` at the anchor's day."""
    if source is target:
        return drawing
    points = tuple(
        (time, price * factors.scale(target, time) / factors.scale(source, time)) for time, price in drawing.points
    )
    return ChartDrawing(drawing.kind, points)


def load_drawings(path: Path, drawn_in: Adjust = Adjust.FORWARD) -> dict[str, list[SavedDrawing]]:
    """Every symbol's drawings saved at `path`; a drawing that cannot be read is left out (and logged).

    `drawn_in` is the adjustment a version-1 file's prices are taken to be in.
    """
    data = read_json(path)
    symbols = data.get("symbols") if data is not None else None
    if data is None or not isinstance(symbols, dict):
        return {}
    legacy = data.get("version", 1) == 1
    out: dict[str, list[SavedDrawing]] = {}
    for symbol, entries in symbols.items():
        for number, entry in enumerate(entries if isinstance(entries, list) else []):
            try:
                saved = SavedDrawing(_drawing(entry), drawn_in if legacy else Adjust(entry.get("prices", "none")))
            except (AttributeError, KeyError, TypeError, ValueError) as exc:
                log.warning("%s: drawing %d of %s not used: %s", path, number + 1, symbol, exc)
                continue
            out.setdefault(str(symbol), []).append(saved)
    return out


def save_drawings(path: Path, drawings: dict[str, list[SavedDrawing]]) -> None:
    symbols = {
        symbol: [
            {
                "kind": s.drawing.kind,
                "points": [[str(t.astype("datetime64[s]")), float(p)] for t, p in s.drawing.points],
                "prices": s.prices.value,
            }
            for s in items
        ]
        for symbol, items in sorted(drawings.items())
        if items
    }
    write_json(path, {"version": FILE_VERSION, "symbols": symbols})


def _drawing(entry: Any) -> ChartDrawing:
    kind = entry["kind"]
    if kind not in DRAWING_KINDS:
        raise ValueError(f"unknown kind {kind!r}")
    points = tuple((np.datetime64(str(t), "s"), float(p)) for t, p in entry["points"])
    if len(points) != POINTS_NEEDED[kind] or not all(math.isfinite(p) for _, p in points):
        raise ValueError(f"{kind} needs {POINTS_NEEDED[kind]} finite points")
    return ChartDrawing(kind, points)


class ChartDrawingsPresenter(QObject):
    """Shows the charted symbol's drawings and saves each change (None file: kept for this session only)."""

    def __init__(self, panel: ChartPanel, path: Path | None, drawn_in: Adjust = Adjust.FORWARD) -> None:
        super().__init__(panel)
        self._panel = panel
        self._path = path
        self._saved = load_drawings(path, drawn_in) if path is not None else {}
        self._symbol = ""
        self._factors = FactorTimeline.of(BarSeries.empty())
        self._shown_in = Adjust.NONE
        self._shown: list[tuple[ChartDrawing, ChartDrawing]] = []  # (as on the panel, in real prices)
        panel.sig_drawings_changed.connect(self._on_panel_sig_drawings_changed)

    def show_for(self, symbol: str, factors: FactorTimeline | None = None, shown_in: Adjust = Adjust.NONE) -> None:
        """After `symbol`'s bars reached the panel, in adjustment `shown_in`: put its drawings on them."""
        self._symbol, self._shown_in = symbol, shown_in
        self._factors = factors if factors is not None else FactorTimeline.of(BarSeries.empty())
        saved = self._saved.get(symbol, [])
        real = [convert(s.drawing, self._factors, s.prices, Adjust.NONE) for s in saved]
        if any(s.prices is not Adjust.NONE for s in saved):  # a version-1 file: real prices from now on
            self._keep(real)
        shown = [convert(d, self._factors, Adjust.NONE, shown_in) for d in real]
        self._shown = list(zip(shown, real, strict=True))
        self._panel.set_drawings(shown)

    def drawings(self, symbol: str) -> list[ChartDrawing]:
        """`symbol`'s drawings in real prices (as saved)."""
        return [s.drawing for s in self._saved.get(symbol, []) if s.prices is Adjust.NONE]

    def _on_panel_sig_drawings_changed(self, drawings: list[ChartDrawing]) -> None:
        if not self._symbol:
            return
        real = []
        for drawing in drawings:
            # Drawings already saved keep their stored prices exactly; only new ones are converted.
            known = next((r for shown, r in self._shown if shown is drawing), None)
            real.append(known if known is not None else convert(drawing, self._factors, self._shown_in, Adjust.NONE))
        self._shown = list(zip(drawings, real, strict=True))
        self._keep(real)

    def _keep(self, real: Sequence[ChartDrawing]) -> None:
        self._saved[self._symbol] = [SavedDrawing(d) for d in real]
        if self._path is not None:
            save_drawings(self._path, self._saved)
