"""Layering contract: core/ loads no GUI code, widgets/ reach no services, core imports stay light."""

from __future__ import annotations

import ast
import pkgutil
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

CORE_FORBIDDEN = ("PySide6", "shiboken6", "qasync", "pyqtgraph", "app", "widgets")
WIDGETS_FORBIDDEN = ("torch", "qlib", "lightgbm", "core.storage", "core.data", "core.bridge")
# Widgets render domain values; every other part of core is a service they must not reach.
WIDGETS_CORE_ALLOWED = "core.domain"
# Loading any of these while importing core's packages means a heavy or GUI import is not lazy.
HEAVY_OR_GUI = ("PySide6", "shiboken6", "qasync", "pyqtgraph", "torch", "qlib", "lightgbm")


def _is_within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def _imports(path: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import statement in `path`, relative ones resolved."""
    # The package a relative import starts from: the folder, both for a module and for __init__.py.
    package = list(path.relative_to(ROOT).parts[:-1])
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *(node.module.split(".") if node.module else [])])
            # `from core import storage` reaches core.storage: check each imported name as a module too.
            yield node.lineno, module
            for alias in node.names:
                yield node.lineno, f"{module}.{alias.name}"


def _violations(folder: str, is_forbidden: Callable[[str], bool]) -> list[str]:
    found: dict[str, str] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        for line, name in _imports(path):
            where = f"{path.relative_to(ROOT)}:{line}"
            # One report per statement: `from PySide6 import QtCore` is one mistake, not two.
            if where not in found and is_forbidden(name):
                found[where] = f"{where} imports {name}"
    return list(found.values())


def test_core_imports_no_gui_or_app_code() -> None:
    found = _violations("core", lambda name: any(_is_within(name, bad) for bad in CORE_FORBIDDEN))
    assert not found, "core/ must stay free of Qt and of app/widgets:\n" + "\n".join(found)


def test_widgets_import_no_services_or_heavy_libraries() -> None:
    def forbidden(name: str) -> bool:
        if any(_is_within(name, bad) for bad in WIDGETS_FORBIDDEN):
            return True
        return _is_within(name, "core") and name != "core" and not _is_within(name, WIDGETS_CORE_ALLOWED)

    found = _violations("widgets", forbidden)
    assert not found, "widgets/ may use only core.domain from core:\n" + "\n".join(found)


# Lower packages of core and the packages above them that they must not import (no upward or circular arrow).
UPWARD = {
    "core/util": ("core.",),  # below everything: imports nothing else from core
    "core/datasets": ("core.models", "core.research"),
    "core/models": ("core.research",),
    "core/trading": ("core.bridge",),
}


def test_lower_core_packages_import_nothing_above_them() -> None:
    found = []
    for folder, above in UPWARD.items():
        own = folder.replace("/", ".")

        def forbidden(name: str, own: str = own, above: tuple[str, ...] = above) -> bool:
            return not _is_within(name, own) and any(name.startswith(a) or name == a.rstrip(".") for a in above)

        found += _violations(folder, forbidden)
    assert not found, "an import points upward:\n" + "\n".join(found)


def _core_packages() -> list[str]:
    # Discovered, not listed: the check grows as core gains packages.
    return ["core"] + [f"core.{m.name}" for m in pkgutil.iter_modules([str(ROOT / "core")]) if m.ispkg]


def test_importing_core_loads_no_gui_or_heavy_library() -> None:
    packages = _core_packages()
    code = (
        f"import importlib, sys\n"
        f"for name in {packages!r}:\n"
        f"    importlib.import_module(name)\n"
        f"print('\\n'.join(sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY_OR_GUI!r})))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"importing {', '.join(packages)} loaded:\n{result.stdout}"


def test_app_package_and_language_list_load_no_qt() -> None:
    # The headless CLI imports app's command modules and the language list; Qt must stay unloaded.
    code = (
        "import sys, app, app.i18n, app.resources, app.clock\n"
        "print(sorted(m for m in sys.modules if m.startswith(('PySide6', 'shiboken6'))))\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
