"""Version and build facts for the About dialog: packaged builds stamp them, source runs derive them."""

from __future__ import annotations

import json
import platform
import re
import subprocess
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Written by installer/package.py into the staged copy of resources/; absent in a source checkout.
STAMP_FILE = ROOT / "resources" / "build_info.json"
PYPROJECT = ROOT / "pyproject.toml"
UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class BuildInfo:
    """What a support request needs to pin down a build."""

    version: str
    commit: str  # short git hash, "unknown" outside a checkout and unstamped builds
    built: str  # ISO date of the package build; "source" when run from a checkout
    python: str
    platform: str

    def one_line(self) -> str:
        return f"QDesk {self.version} ({self.commit}, {self.built}) · Python {self.python} · {self.platform}"


def read_stamp(path: Path = STAMP_FILE) -> dict[str, str]:
    """The packaged build's stamp, or {} when there is none or it is unreadable."""
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return {k: str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def project_version(pyproject: Path = PYPROJECT) -> str:
    """`[project] version` of pyproject.toml, else the installed distribution's version."""
    try:
        text = pyproject.read_text(encoding="utf-8")
    except OSError:
        text = ""
    if text:
        import tomllib

        try:
            version = tomllib.loads(text).get("project", {}).get("version")
        except tomllib.TOMLDecodeError:
            version = None
        if isinstance(version, str) and version:
            return version
    from importlib import metadata

    try:
        return metadata.version("qdesk")
    except metadata.PackageNotFoundError:
        return UNKNOWN


def git_commit(root: Path = ROOT) -> str:
    """Short hash of HEAD, or "unknown" when git or the checkout is missing."""
    if not (root / ".git").exists():
        return UNKNOWN
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=10", "HEAD"], cwd=root, capture_output=True, text=True, timeout=3, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return UNKNOWN
    commit = out.stdout.strip()
    return commit if out.returncode == 0 and re.fullmatch(r"[0-9a-f]{7,40}", commit) else UNKNOWN


@cache
def build_info() -> BuildInfo:
    """The build facts of this process; read once, on first use (never at import)."""
    stamp = read_stamp()
    return BuildInfo(
        version=stamp.get("version") or project_version(),
        commit=stamp.get("commit") or git_commit(),
        built=stamp.get("built") or "source",
        python=platform.python_version(),
        platform=f"{platform.system() or sys.platform} {platform.machine()}".strip(),
    )
