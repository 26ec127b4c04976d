"""Installed size of an app's runtime packages, measured on the distributions of this environment."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any

from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

try:
    from installer.packaging_rules import app_spec
except ImportError:  # run as a script from installer/
    from packaging_rules import app_spec  # type: ignore[no-redef]


def _installed() -> dict[str, metadata.Distribution]:
    return {canonicalize_name(d.metadata["Name"]): d for d in metadata.distributions() if d.metadata["Name"]}


def closure(requires: Iterable[str], installed: dict[str, metadata.Distribution]) -> tuple[set[str], set[str]]:
    """(installed distributions needed at run time, names required but not installed here)."""
    env = default_environment()
    env["extra"] = ""
    wanted = [Requirement(r) for r in requires]
    seen: set[str] = set()
    missing: set[str] = set()
    while wanted:
        req = wanted.pop()
        name = canonicalize_name(req.name)
        if name in seen or (req.marker is not None and not req.marker.evaluate(env)):
            continue
        dist = installed.get(name)
        if dist is None:
            missing.add(name)
            continue
        seen.add(name)
        for raw in dist.requires or []:
            sub = Requirement(raw)
            # Extras a package offers are not installed unless asked for; markers decide the rest.
            if sub.marker is None or sub.marker.evaluate(env):
                wanted.append(sub)
    return seen, missing


def dist_size(dist: metadata.Distribution) -> int:
    total = 0
    for file in dist.files or []:
        path = Path(str(dist.locate_file(file)))
        with contextlib.suppress(OSError):  # a file listed in RECORD but gone
            total += path.stat().st_size
    return total


def app_sizes(spec: dict[str, Any], app: str) -> tuple[dict[str, int], set[str]]:
    _, table = app_spec(spec, app)
    installed = _installed()
    names, missing = closure(table.get("requires", []), installed)
    # no-deps packages (pyqlib) add only themselves: their declared dependencies are never installed.
    names |= {canonicalize_name(n) for n in table.get("no_deps", []) if canonicalize_name(n) in installed}
    return {n: dist_size(installed[n]) for n in names}, missing


def print_sizes(spec: dict[str, Any], apps: list[str]) -> int:
    for app in apps:
        sizes, missing = app_sizes(spec, app)
        total = sum(sizes.values())
        print(f"{app}: {len(sizes)} distributions, {total / 2**20:,.0f} MiB installed (this platform's wheels)")
        for name, size in sorted(sizes.items(), key=lambda kv: -kv[1])[:12]:
            print(f"  {size / 2**20:8.1f} MiB  {name}")
        if missing:
            print(f"  not installed here (not counted): {', '.join(sorted(missing))}")
    return 0
