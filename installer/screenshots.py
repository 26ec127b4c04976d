"""Retake the README's window screenshots: every size, language and theme, on the demo and on a real store.

Usage (from the repository root, after `python installer/dev.py setup`):
    .venv/bin/python -m installer.screenshots --real-dir DATA_DIR [--out resources/screenshots]

Each shot is `main.py --screenshot` in a fresh process (what a user's first window shows), with its own
settings folder so the theme is chosen without touching the user's settings. DATA_DIR is a data folder
whose store holds real bars (e.g. one filled with `main.py data import`); the demo needs nothing.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from core.paths import ENV_VAR, default_data_dir

ROOT = Path(__file__).resolve().parent.parent
SIZES = ("1280x800", "1440x900")
LANGUAGES = ("en", "zh_CN")
THEMES = ("light", "dark")


def take(out: Path, data_dir: Path | None, size: str, lang: str, theme: str) -> Path:
    """One screenshot; returns its path. A demo shot runs on an empty data folder, so the demo opens.

    The app runs in a scratch home folder on its default data folder, as a user's first window does, so
    the status bar reads `~/…/QDesk` rather than the temporary folder the shot was taken in; for a real
    store that default folder is a link to DATA_DIR.
    """
    with tempfile.TemporaryDirectory() as tmp:
        home = Path(tmp) / "home"
        config = Path(tmp) / "config"
        config.mkdir()
        (config / "settings.json").write_text(json.dumps({"theme": theme, "language": lang}), encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if k not in (ENV_VAR, "XDG_DATA_HOME", "LOCALAPPDATA", "APPDATA")}
        env.update(HOME=str(home), USERPROFILE=str(home), QDESK_CONFIG_DIR=str(config), QDESK_SCREENSHOT_SIZE=size)
        env.setdefault("QT_QPA_PLATFORM", "offscreen")
        folder = default_data_dir(env)
        folder.parent.mkdir(parents=True)
        if data_dir is not None:
            folder.symlink_to(data_dir.resolve(), target_is_directory=True)
        store = "real" if data_dir is not None else "demo"
        path = (out / f"main-window-{store}-{size}-{theme}-{lang}.png").resolve()
        command = [sys.executable, str(ROOT / "main.py"), "--lang", lang, "--screenshot", str(path)]
        subprocess.run(command, check=True, env=env, capture_output=True)
        return path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--real-dir", type=Path, required=True, help="a data folder whose store holds real bars")
    parser.add_argument("--out", type=Path, default=ROOT / "resources" / "screenshots")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    for data_dir in (None, args.real_dir):
        for size in SIZES:
            for lang in LANGUAGES:
                for theme in THEMES:
                    print(take(args.out, data_dir, size, lang, theme), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
