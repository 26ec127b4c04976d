"""Small JSON files a desktop session keeps between runs (the chart's view, the backtest form)."""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)


def read_json(path: Path) -> dict[str, Any] | None:
    """The object stored at `path`; None when there is none or it cannot be read (logged: the view then
    opens as on a first start rather than refusing to open)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        log.warning("%s not used: %s", path, exc)
        return None
    if not isinstance(data, dict):
        log.warning("%s not used: not a JSON object", path)
        return None
    return data


def write_json(path: Path, data: dict[str, Any]) -> None:
    """Write `data` whole or not at all (a temporary file replaced in one step); a failure is logged."""
    tmp = path.with_name(path.name + ".tmp")
    try:
        tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, path)
    except OSError as exc:
        log.warning("%s not saved: %s", path, exc)
