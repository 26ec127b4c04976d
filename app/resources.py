"""Paths of the files shipped under resources/ (icons, demo data); computing them touches no disk."""

from __future__ import annotations

from pathlib import Path

# resources/ sits next to app/ in the source tree and in the packaged app alike.
RESOURCES_DIR = Path(__file__).resolve().parent.parent / "resources"


def icon_path() -> Path:
    """The application icon (SVG, so it stays sharp at every size)."""
    return RESOURCES_DIR / "icons" / "qdesk.svg"


def demo_daily_dir() -> Path:
    """Folder of bundled real daily bars (one CSV per symbol) that demo mode replays."""
    return RESOURCES_DIR / "demo" / "daily"


def demo_instruments_file() -> Path:
    """Names of the demo symbols (written for QDesk; not part of the hikyuu data)."""
    return RESOURCES_DIR / "demo" / "instruments.csv"


def theme_file(theme: str) -> Path:
    """Style sheet of a theme ('light' or 'dark')."""
    return RESOURCES_DIR / "themes" / f"{theme}.qss"
