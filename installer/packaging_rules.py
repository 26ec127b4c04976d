"""What a staged briefcase project must satisfy: pins from the lock file, sources, icons, nothing extra.

Pure standard library plus `packaging` (a dependency of pip and of briefcase), so the checks run
with or without briefcase installed.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import tomllib
from packaging.requirements import InvalidRequirement, Requirement
from packaging.utils import canonicalize_name

GLOBAL_KEYS = ("project_name", "bundle", "version", "url", "author", "author_email", "license")
APP_KEYS = ("formal_name", "description", "sources", "icon", "requires")
# Folder and file names that never belong in a package: tests, caches, notebooks, fixture data.
FORBIDDEN_PARTS = frozenset(
    {
        "__pycache__",
        ".ipynb_checkpoints",
        ".pytest_cache",
        ".mypy_cache",
        ".ruff_cache",
        "tests",
        "benchmarks",
        "mlruns",
        ".git",
    }
)
FORBIDDEN_SUFFIXES = (".pyc", ".pyo", ".ipynb")
# Development-only distributions that must never be an app requirement.
FORBIDDEN_REQUIRES = frozenset(
    {
        "jupyter",
        "notebook",
        "jupyterlab",
        "ipykernel",
        "ipython",
        "ipywidgets",
        "pytest",
        "pytest-qt",
        "briefcase",
        "mypy",
        "ruff",
    }
)
# pip options that add or replace a package index: builds use only the index pip is configured with.
INDEX_OPTIONS = ("-i", "--index-url", "--extra-index-url", "-f", "--find-links", "--no-index")
LINUX_ICON_SIZES = (16, 32, 64, 128, 256, 512)
MAX_DESCRIPTION = 80  # briefcase warns above this; some package formats truncate


class SpecError(ValueError):
    """briefcase.toml or the lock file is unusable; the message names the file and the entry."""


def load_spec(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise SpecError(f"{path}: {exc}") from None
    if "briefcase" not in data.get("tool", {}):
        raise SpecError(f"{path}: no [tool.briefcase] table")
    return data


def app_spec(spec: dict[str, Any], app: str) -> tuple[dict[str, Any], dict[str, Any]]:
    """(global settings, the app's table) of one app in a loaded briefcase.toml."""
    briefcase = dict(spec["tool"]["briefcase"])
    apps = briefcase.pop("app", {})
    if app not in apps:
        raise SpecError(f"briefcase.toml: no app {app!r} (apps: {', '.join(apps) or 'none'})")
    return briefcase, dict(apps[app])


def module_name(app: str) -> str:
    return app.replace("-", "_")


def read_lock(path: Path) -> dict[str, str]:
    """Canonical distribution name -> exact version, from `name==version` lines."""
    pins: dict[str, str] = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        match = re.fullmatch(r"([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        if match is None:
            raise SpecError(f"{path.name}:{number}: not an exact pin 'name==version': {line!r}")
        pins[canonicalize_name(match[1])] = match[2]
    return pins


def pin_requirements(requires: list[str], lock: dict[str, str]) -> list[str]:
    """Each requirement as `name==<lock version>`; the lock's version must satisfy the stated range."""
    pinned: list[str] = []
    for raw in requires:
        try:
            req = Requirement(raw)
        except InvalidRequirement as exc:
            raise SpecError(f"briefcase.toml: requirement {raw!r}: {exc}") from None
        name = canonicalize_name(req.name)
        if name not in lock:
            raise SpecError(f"briefcase.toml: requirement {req.name!r} is not pinned in requirements.lock")
        version = lock[name]
        if req.specifier and not req.specifier.contains(version, prereleases=True):
            raise SpecError(f"briefcase.toml: {req.name} {req.specifier} excludes the locked version {version}")
        pinned.append(f"{req.name}=={version}")
    return pinned


def validate_project(pyproject: Path, lock_path: Path, project_toml: Path) -> list[str]:
    """Problems of a staged project (empty when it is ready for briefcase), one line each."""
    base = pyproject.parent
    try:
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        briefcase = dict(data["tool"]["briefcase"])
        apps = briefcase.pop("app")
    except (OSError, tomllib.TOMLDecodeError, KeyError) as exc:
        return [f"{pyproject}: not a briefcase project: {exc}"]
    problems = [f"{pyproject.name}: [tool.briefcase] lacks {key!r}" for key in GLOBAL_KEYS if key not in briefcase]
    version = tomllib.loads(project_toml.read_text(encoding="utf-8"))["project"]["version"]
    if briefcase.get("version") != version:
        problems.append(f"briefcase.toml: version {briefcase.get('version')!r} != pyproject.toml {version!r}")
    problems += [
        f"{pyproject.name}: license file {f!r} missing"
        for f in briefcase.get("license-files", [])
        if not (base / f).is_file()
    ]
    lock = read_lock(lock_path)
    for app, table in apps.items():
        problems += _app_problems(base, app, table, lock)
    return problems


def _app_problems(base: Path, app: str, table: dict[str, Any], lock: dict[str, str]) -> list[str]:
    where = f"app {app}"
    problems = [f"{where}: lacks {key!r}" for key in APP_KEYS if not table.get(key)]
    if len(table.get("description", "")) > MAX_DESCRIPTION:
        problems.append(f"{where}: description longer than {MAX_DESCRIPTION} characters")
    sources = [base / s for s in table.get("sources", [])]
    problems += [f"{where}: source {s.relative_to(base)} does not exist" for s in sources if not s.exists()]
    launcher = base / "src" / module_name(app) / "__main__.py"
    if not launcher.is_file():
        problems.append(f"{where}: no launcher package {module_name(app)}/__main__.py among the sources")
    requires = list(table.get("requires", []))
    for sub in (table.get(p, {}) for p in ("macOS", "windows", "linux")):
        requires += sub.get("requires", []) if isinstance(sub, dict) else []
    problems += _index_problems(where, table)
    for raw in requires:
        req = Requirement(raw)
        name = canonicalize_name(req.name)
        if name in FORBIDDEN_REQUIRES:
            problems.append(f"{where}: {req.name} is a development tool, not a runtime requirement")
        pins = [s.version for s in req.specifier if s.operator == "=="]
        if not pins:
            problems.append(f"{where}: requirement {raw!r} is not pinned with ==")
        elif lock.get(name) != pins[0]:
            problems.append(f"{where}: {req.name}=={pins[0]} but requirements.lock pins {lock.get(name)}")
    problems += _icon_problems(base, where, table.get("icon", ""))
    for source in sources:
        # Vendored third-party packages keep their layout (qlib.backtest imports qlib.tests.config).
        vendored = source.relative_to(base).parts[0] == "vendor"
        problems += [f"{where}: {p.relative_to(base)} must not be packaged" for p in _forbidden_files(source, vendored)]
    return problems


def _index_problems(where: str, table: dict[str, Any]) -> list[str]:
    """requirement_installer_args naming a package index, at any level of the app's table."""
    found: list[str] = []
    tables = [table]
    while tables:
        current = tables.pop()
        for arg in current.get("requirement_installer_args", []):
            if str(arg).split("=", 1)[0] in INDEX_OPTIONS:
                found.append(f"{where}: requirement_installer_args {arg!r}: builds use only pip's configured index")
        tables += [v for v in current.values() if isinstance(v, dict)]
    return found


def _icon_problems(base: Path, where: str, icon: str) -> list[str]:
    if not icon:
        return []
    wanted = [f"{icon}.icns", f"{icon}.ico", f"{icon}.svg"] + [f"{icon}-{s}.png" for s in LINUX_ICON_SIZES]
    return [f"{where}: icon file {w} missing" for w in wanted if not (base / w).is_file()]


def _forbidden_files(source: Path, vendored: bool = False) -> list[Path]:
    if not source.is_dir():
        return []
    found = []
    for path in source.rglob("*"):
        parts = set(path.relative_to(source).parts)
        if (
            (not vendored and parts & FORBIDDEN_PARTS)
            or path.name.endswith(FORBIDDEN_SUFFIXES)
            or path.is_file()
            and _is_fixture_data(path)
        ):
            found.append(path)
    return found


def _is_fixture_data(path: Path) -> bool:
    """Market data outside resources/demo (the shared cn/ fixtures are for tests only)."""
    if not path.name.lower().endswith((".csv", ".csv.gz", ".h5", ".parquet", ".sqlite")):
        return False
    return "demo" not in path.parts
