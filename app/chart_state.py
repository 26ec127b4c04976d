"""The chart's last symbol, period, adjustment and indicators, kept beside the data between sessions."""

from __future__ import annotations

import json
import logging
import os
from dataclasses import asdict, dataclass
from pathlib import Path

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
    """The state saved at `path`; None when there is none or it cannot be read (logged: the chart then
    opens as on a first start rather than refusing to open)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return ChartState(
            symbol=str(data["symbol"]),
            period=str(data["period"]),
            adjust=str(data["adjust"]),
            overlays=tuple(str(g) for g in data["overlays"]),
            sub_panes=tuple(str(g) for g in data["sub_panes"]),
        )
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        log.warning("chart state %s not used: %s", path, exc)
        return None


def save_chart_state(path: Path, state: ChartState) -> None:
    """Write `state` whole or not at all (a temporary file replaced in one step); a failure is logged."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(asdict(state), ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("chart state not saved to %s: %s", path, exc)
