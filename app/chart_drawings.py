"""The chart's drawings per symbol, kept beside chart_state.json between sessions."""

from __future__ import annotations

import logging
import math
from pathlib import Path
from typing import Any

import numpy as np
from PySide6.QtCore import QObject

from app.session_files import read_json, write_json
from widgets.chart.drawings import DRAWING_KINDS, POINTS_NEEDED, ChartDrawing
from widgets.chart_panel import ChartPanel

log = logging.getLogger(__name__)
CHART_DRAWINGS_FILE = "chart_drawings.json"


def load_drawings(path: Path) -> dict[str, list[ChartDrawing]]:
    """Every symbol's drawings saved at `path`; a drawing that cannot be read is left out (and logged)."""
    data = read_json(path)
    symbols = data.get("symbols") if data is not None else None
    if not isinstance(symbols, dict):
        return {}
    out: dict[str, list[ChartDrawing]] = {}
    for symbol, entries in symbols.items():
        for number, entry in enumerate(entries if isinstance(entries, list) else []):
            try:
                drawing = _drawing(entry)
            except (KeyError, TypeError, ValueError) as exc:
                log.warning("%s: drawing %d of %s not used: %s", path, number + 1, symbol, exc)
                continue
            out.setdefault(str(symbol), []).append(drawing)
    return out


def save_drawings(path: Path, drawings: dict[str, list[ChartDrawing]]) -> None:
    symbols = {
        symbol: [
            {"kind": d.kind, "points": [[str(t.astype("datetime64[s]")), float(p)] for t, p in d.points]} for d in items
        ]
        for symbol, items in sorted(drawings.items())
        if items
    }
    write_json(path, {"version": 1, "symbols": symbols})


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

    def __init__(self, panel: ChartPanel, path: Path | None) -> None:
        super().__init__(panel)
        self._panel = panel
        self._path = path
        self._drawings = load_drawings(path) if path is not None else {}
        self._symbol = ""
        panel.sig_drawings_changed.connect(self._on_panel_sig_drawings_changed)

    def show_for(self, symbol: str) -> None:
        """After `symbol`'s bars reached the panel: put its drawings on them."""
        self._symbol = symbol
        self._panel.set_drawings(self._drawings.get(symbol, []))

    def drawings(self, symbol: str) -> list[ChartDrawing]:
        return list(self._drawings.get(symbol, []))

    def _on_panel_sig_drawings_changed(self, drawings: list[ChartDrawing]) -> None:
        if not self._symbol:
            return
        self._drawings[self._symbol] = list(drawings)
        if self._path is not None:
            save_drawings(self._path, self._drawings)
