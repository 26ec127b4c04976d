"""Where QDesk keeps its data: `--data-dir`, else `QDESK_DATA_DIR`, else the OS's user data folder."""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path

APP_DIR_NAME = "QDesk"
STORE_FILE = "market.sqlite"
ENV_VAR = "QDESK_DATA_DIR"


def default_data_dir(env: Mapping[str, str] | None = None, platform: str | None = None) -> Path:
    """Per-OS user data folder: ~/Library/Application Support, %LOCALAPPDATA%, or $XDG_DATA_HOME."""
    env = os.environ if env is None else env
    platform = platform or sys.platform
    home = Path(env.get("HOME") or Path.home())
    if platform == "darwin":
        return home / "Library" / "Application Support" / APP_DIR_NAME
    if platform.startswith("win"):
        base = env.get("LOCALAPPDATA") or env.get("APPDATA")
        return Path(base) / APP_DIR_NAME if base else home / "AppData" / "Local" / APP_DIR_NAME
    base = env.get("XDG_DATA_HOME")
    return (Path(base) if base else home / ".local" / "share") / APP_DIR_NAME


def resolve_data_dir(cli_value: str | None, env: Mapping[str, str] | None = None, configured: str = "") -> Path:
    """The data folder every command uses, by precedence: flag, environment, settings, OS default."""
    env = os.environ if env is None else env
    for value in (cli_value, env.get(ENV_VAR), configured):
        if value:
            return Path(value).expanduser().resolve()
    return default_data_dir(env)


def display_path(path: Path, env: Mapping[str, str] | None = None) -> str:
    """`path` as the status bar shows it: under the home folder spelled from `~`, as shells and Finder do."""
    env = os.environ if env is None else env
    home = Path(env.get("HOME") or Path.home())
    try:
        inside = path.relative_to(home)
    except ValueError:
        return str(path)
    return str(Path("~") / inside) if inside.parts else "~"


def store_path(data_dir: Path) -> Path:
    return data_dir / STORE_FILE
