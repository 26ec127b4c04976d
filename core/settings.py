"""User settings of the desktop app: one JSON file in the OS config folder, loaded once at start."""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Mapping
from dataclasses import asdict, dataclass, field, fields, replace
from pathlib import Path

from core.routine.schedule import DEFAULT_CLOSE_AT, parse_close_at

CONFIG_ENV_VAR = "QDESK_CONFIG_DIR"
THEMES = ("light", "dark")
TRADING_MODES = ("paper", "live")
RELEASE_TIMES = ("09:15", "09:30")  # queued orders go at the call auction or at the continuous open


@dataclass(frozen=True, slots=True)
class AppSettings:
    """What the settings dialog edits. The bridge token is not here: it lives in the OS keyring."""

    bridge_url: str = ""
    bridge_ca_file: str = ""  # the bridge's certificate (.pem) chosen in the wizard, for a self-signed TLS bridge
    data_dir: str = ""  # empty: the OS default (or --data-dir / QDESK_DATA_DIR, which win)
    red_up: bool = True  # A-share convention: red for up, green for down
    theme: str = "light"
    language: str = ""  # empty: follow the system locale
    trading_mode: str = "paper"  # "live": the orders dock trades the QMT account through the bridge
    risk_limits: dict[str, object] = field(default_factory=dict)  # pre-trade limits set by the user (others: defaults)
    queue_release_at: str = "09:30"
    routine_run: str = ""  # the run the daily schedule scores with after the close; empty: no schedule
    routine_close_at: str = "15:30"  # Beijing time, after the 15:00 close
    routine_topk: int = 50
    routine_n_drop: int = 5
    routine_retrain: str = ""  # retrain the routine's run every N trading days ('20d') or months ('1m'); empty: never
    routine_retrain_window: str = ""  # expanding | sliding; empty: the run's own (a rolling run's), else expanding

    def validated(self) -> AppSettings:
        """A copy with unusable values replaced by defaults (a hand-edited file must not break start-up)."""
        theme = self.theme if self.theme in THEMES else "light"
        language = self.language if self.language in ("", "zh_CN", "en") else ""
        url = self.bridge_url.strip()
        if url and not url.startswith(("http://", "https://")):
            url = ""
        mode = self.trading_mode if self.trading_mode in TRADING_MODES else "paper"
        release = self.queue_release_at if self.queue_release_at in RELEASE_TIMES else "09:30"
        try:
            close_at = parse_close_at(self.routine_close_at).strftime("%H:%M")
        except ValueError:
            close_at = DEFAULT_CLOSE_AT
        topk = self.routine_topk if self.routine_topk > 0 else 50
        n_drop = self.routine_n_drop if 0 <= self.routine_n_drop <= topk else min(5, topk)
        retrain, retrain_window = _retrain(self.routine_retrain, self.routine_retrain_window)
        return replace(
            self,
            theme=theme,
            language=language,
            bridge_url=url,
            trading_mode=mode,
            queue_release_at=release,
            routine_run=self.routine_run.strip(),
            routine_close_at=close_at,
            routine_topk=topk,
            routine_n_drop=n_drop,
            routine_retrain=retrain,
            routine_retrain_window=retrain_window,
        )


def _retrain(every: str, window: str) -> tuple[str, str]:
    """A usable retrain schedule, or none ('', '')."""
    from core.routine.retrain import RetrainSchedule

    try:
        plan = RetrainSchedule.parse(every, window or None) if every.strip() else None
    except ValueError:
        plan = None
    return (str(plan.every), plan.window or "") if plan is not None else ("", "")


def config_dir(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    env = os.environ if env is None else env
    platform = platform or sys.platform
    if env.get(CONFIG_ENV_VAR):
        return Path(env[CONFIG_ENV_VAR])
    home = Path(env.get("HOME") or Path.home())
    if platform == "darwin":
        return home / "Library" / "Preferences" / "QDesk"
    if platform.startswith("win"):
        base = env.get("APPDATA")
        return Path(base) / "QDesk" if base else home / "AppData" / "Roaming" / "QDesk"
    return Path(env.get("XDG_CONFIG_HOME") or home / ".config") / "QDesk"


def settings_file(env: Mapping[str, str] | None = None) -> Path:
    return config_dir(env) / "settings.json"


def load_settings(path: Path) -> AppSettings:
    """Settings from `path`; missing file, bad JSON or unknown keys fall back to defaults."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return AppSettings()
    if not isinstance(raw, dict):
        return AppSettings()
    defaults = AppSettings()
    known = {f.name: type(getattr(defaults, f.name)) for f in fields(AppSettings)}
    values = {k: v for k, v in raw.items() if k in known and type(v) is known[k]}
    try:
        return AppSettings(**values).validated()
    except TypeError:
        return AppSettings()


def save_settings(path: Path, settings: AppSettings) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(asdict(settings), indent=1, ensure_ascii=False), encoding="utf-8")
    tmp.replace(path)
