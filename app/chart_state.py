"""The chart's last symbol, period, adjustment and indicators, kept beside the data between sessions."""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass
from pathlib import Path

from app.session_files import read_json, write_json

log = logging.getLogger(__name__)
CHART_STATE_FILE = "chart_state.json"


@dataclass(frozen=True, slots=True)
class ChartState:
    symbol: str = ""
    period: str = "1d"
    adjust: str = "forward"
    overlays: tuple[str, ...] = ("MA",)
    sub_panes: tuple[str, ...] = ("VOL", "MACD")


def load_chart_state(path: Path) -> ChartState | None:
    """The state saved at `path`; None when there is none or it cannot be read."""
    data = read_json(path)
    if data is None:
        return None
    try:
        return ChartState(
            symbol=str(data["symbol"]),
            period=str(data["period"]),
            adjust=str(data["adjust"]),
            overlays=tuple(str(g) for g in data["overlays"]),
            sub_panes=tuple(str(g) for g in data["sub_panes"]),
        )
    except (KeyError, TypeError) as exc:
        log.warning("chart state %s not used: missing %s", path, exc)
        return None


def save_chart_state(path: Path, state: ChartState) -> None:
    write_json(path, asdict(state))
