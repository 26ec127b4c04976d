"""Build QDesk and QDesk Bridge with briefcase from briefcase.toml: one command per app.

Usage (from the repository root):
    python installer/package.py config APP               # stage APP and write its pyproject.toml
    python installer/package.py validate APP             # stage, then check the staged project
    python installer/package.py dev APP [--test]         # stage, then `briefcase dev` on this Python
    python installer/package.py build APP [-- ARGS]      # stage, then briefcase create, build, package
    python installer/package.py size [APP]               # installed size of APP's runtime packages

APP is `qdesk` or `qdesk-bridge`. The staged project lives in build/briefcase/APP/ (git-ignored):
src/ holds filtered copies of the sources (no tests, caches, notebooks or screenshots),
tests/ the packaged smoke tests, and pyproject.toml the [tool.briefcase] table of that one app with
every requirement pinned to installer/requirements.lock. `build` passes ARGS to `briefcase package`
(for example `--adhoc-sign` on a macOS runner without a signing identity); `--template DIR` uses a
local app template (installer/briefcase_templates/linux-system builds a .deb without GitHub).
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib.util
import json
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path
from typing import Any

try:
    from installer.packaging_rules import (
        FORBIDDEN_PARTS,
        FORBIDDEN_SUFFIXES,
        app_spec,
        load_spec,
        pin_requirements,
        read_lock,
        validate_project,
    )
except ImportError:  # run as `python installer/package.py`: the script's own folder is on sys.path
    from packaging_rules import (  # type: ignore[no-redef]
        FORBIDDEN_PARTS,
        FORBIDDEN_SUFFIXES,
        app_spec,
        load_spec,
        pin_requirements,
        read_lock,
        validate_project,
    )

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "briefcase.toml"
LOCK = ROOT / "installer" / "requirements.lock"
BUILD = ROOT / "build" / "briefcase"
# Keys of briefcase.toml that are this tool's, not briefcase's.
TOOL_KEYS = ("no_deps",)


def qlib_pin() -> str:
    """The `pyqlib==X` pin installer/dev.py installs with --no-deps (one place says which version)."""
    spec = importlib.util.spec_from_file_location("qdesk_dev", ROOT / "installer" / "dev.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.QLIB_PIN)


def python_config() -> Path:
    """The `pythonX.Y-config` of this interpreter's installation (a venv's base Python), not one from PATH."""
    bindir = Path(sysconfig.get_config_var("BINDIR") or Path(sys.executable).parent)
    return bindir / f"python{sysconfig.get_config_var('VERSION')}-config"


def _ignore(folder: str, names: list[str]) -> set[str]:
    skipped = {n for n in names if n in FORBIDDEN_PARTS or n.endswith(FORBIDDEN_SUFFIXES)}
    if Path(folder).name == "resources":
        skipped |= {"screenshots", "build_info.json"}  # README pictures; the stamp is written fresh
    return skipped


def _git_commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short=10", "HEAD"], cwd=ROOT, capture_output=True, text=True, timeout=5, check=False
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return out.stdout.strip() if out.returncode == 0 else "unknown"


def stage(app: str, out_root: Path = BUILD, *, vendor: bool = True, spec_path: Path = SPEC) -> Path:
    """Copy APP's sources into `out_root/APP` and write its pyproject.toml; returns that file's path."""
    spec = load_spec(spec_path)
    settings, app_table = app_spec(spec, app)
    out = out_root / app
    for part in ("src", "tests", "vendor"):
        shutil.rmtree(out / part, ignore_errors=True)  # briefcase's own build/ and dist/ are kept
    (out / "src").mkdir(parents=True, exist_ok=True)

    def staged(source: str) -> str:
        target = out / "src" / Path(source).name
        origin = ROOT / source
        if origin.is_dir():
            shutil.copytree(origin, target, ignore=_ignore)
        else:
            shutil.copy2(origin, target)
        return f"src/{Path(source).name}"

    table = {k: v for k, v in app_table.items() if k not in TOOL_KEYS}
    table["sources"] = [staged(s) for s in app_table["sources"]]
    if vendor:
        table["sources"] += _vendor(out, app_table.get("no_deps", []))
    if app_table.get("test_sources"):
        shutil.copytree(ROOT / app_table["test_sources"][0], out / "tests", ignore=_ignore)
        table["test_sources"] = ["tests"]
    table["icon"] = "src/" + app_table["icon"]
    lock = read_lock(LOCK)
    table["requires"] = pin_requirements(app_table.get("requires", []), lock)
    if table.get("test_requires"):
        table["test_requires"] = pin_requirements(table["test_requires"], lock)
    for platform_table in _platform_tables(table):
        if "requires" in platform_table:
            platform_table["requires"] = pin_requirements(platform_table["requires"], lock)

    top = dict(settings)
    top["license-files"] = [_staged_license(out, f) for f in settings.get("license-files", [])]
    stamp = {
        "version": str(settings["version"]),
        "commit": _git_commit(),
        "built": dt.date.today().isoformat(),
        "app": app,
    }
    # Linux system packages install a changelog; briefcase looks for it beside pyproject.toml.
    shutil.copy2(ROOT / "installer" / "CHANGELOG.md", out / "CHANGELOG.md")
    # The About dialog shows the licence from resources/ in a package (installer/ is not shipped).
    shutil.copy2(ROOT / "installer" / "LICENSE.txt", out / "src" / "resources" / "LICENSE.txt")
    (out / "src" / "resources" / "build_info.json").write_text(json.dumps(stamp, indent=1), encoding="utf-8")
    pyproject = out / "pyproject.toml"
    header = f"# Generated by installer/package.py from briefcase.toml for {app}; do not edit.\n"
    pyproject.write_text(header + dumps_toml({"tool": {"briefcase": {**top, "app": {app: table}}}}), encoding="utf-8")
    return pyproject


def _staged_license(out: Path, name: str) -> str:
    if name.startswith("resources/"):
        return f"src/{name}"  # already copied with resources/
    target = out / Path(name).name
    shutil.copy2(ROOT / name, target)
    return target.name


def _platform_tables(table: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for key in ("macOS", "windows", "linux", "iOS", "android", "web"):
        sub = table.get(key)
        if isinstance(sub, dict):
            found.append(sub)
            found += [v for v in sub.values() if isinstance(v, dict)]
            found += [w for v in sub.values() if isinstance(v, dict) for w in v.values() if isinstance(w, dict)]
    return found


def _vendor(out: Path, names: list[str]) -> list[str]:
    """`pip install --no-deps --target` each no-deps package; its top-level packages become sources."""
    if not names:
        return []
    pins = {"pyqlib": qlib_pin()}
    target = out / "vendor"
    reqs = [pins.get(n, n) for n in names]
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--no-compile",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(target),
            *reqs,
        ],
        check=True,
    )
    return [
        f"vendor/{p.name}"
        for p in sorted(target.iterdir())
        if p.is_dir() and not p.name.endswith((".dist-info", ".data")) and p.name not in ("bin", "__pycache__")
    ]


# -- TOML output: the stdlib reads TOML but does not write it, and briefcase may not be installed ---
def dumps_toml(data: dict[str, Any], prefix: str = "") -> str:
    scalars = {k: v for k, v in data.items() if not isinstance(v, dict)}
    tables = {k: v for k, v in data.items() if isinstance(v, dict)}
    lines = [f"{_key(k)} = {_value(v)}" for k, v in scalars.items()]
    out = ""
    if lines and prefix:
        out += f"[{prefix}]\n"
    out += "".join(line + "\n" for line in lines)
    for key, sub in tables.items():
        name = f"{prefix}.{_key(key)}" if prefix else _key(key)
        body = dumps_toml(sub, name)
        out += ("\n" if out else "") + body
    return out


def _key(key: str) -> str:
    return key if key.replace("-", "").replace("_", "").isalnum() else json.dumps(key)


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)  # JSON string escapes are valid TOML basic strings
    if isinstance(value, list):
        if value and all(isinstance(v, dict) for v in value):
            return (
                "["
                + ", ".join("{ " + ", ".join(f"{_key(k)} = {_value(x)}" for k, x in v.items()) + " }" for v in value)
                + "]"
            )
        return "[" + ", ".join(_value(v) for v in value) + "]"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


# -- commands ------------------------------------------------------------------------------
def _briefcase(project: Path, *args: str) -> int:
    if importlib.util.find_spec("briefcase") is None:
        print(
            "package: briefcase is not installed in this Python; run: "
            "python -m pip install -r installer/packaging.lock (a venv of the system python3 on Linux)",
            file=sys.stderr,
        )
        return 2
    cmd = [sys.executable, "-m", "briefcase", *args]
    print("package: " + " ".join(cmd[2:]), flush=True)
    return subprocess.call(cmd, cwd=project)


def _check(pyproject: Path) -> int:
    problems = validate_project(pyproject, LOCK, ROOT / "pyproject.toml")
    for problem in problems:
        print(f"package: {problem}", file=sys.stderr)
    return 1 if problems else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="installer/package.py", description=__doc__.split("\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("config", "validate", "dev", "build"):
        p = sub.add_parser(name)
        p.add_argument("app", choices=("qdesk", "qdesk-bridge"))
        p.add_argument("--out", type=Path, default=BUILD, help="staging folder (default: build/briefcase)")
        p.add_argument("--no-vendor", action="store_true", help="skip the --no-deps packages (pyqlib)")
        if name == "dev":
            p.add_argument("--test", action="store_true", help="run the packaged smoke tests")
            p.add_argument("--isolated", action="store_true", help="let briefcase make its own venv")
        if name == "build":
            p.add_argument("--platform", default=None, help="briefcase platform (default: this one)")
            p.add_argument("--format", default=None, help="briefcase output format (default: the platform's)")
            p.add_argument(
                "--template",
                type=Path,
                default=None,
                help="local app template instead of briefcase's from GitHub, e.g. "
                "installer/briefcase_templates/linux-system",
            )
    size = sub.add_parser("size")
    size.add_argument("app", nargs="?", choices=("qdesk", "qdesk-bridge"))
    args, extra = parser.parse_known_args(argv)
    if extra and getattr(args, "command", "") != "build":
        parser.error(f"unrecognized arguments: {' '.join(extra)}")
    if args.command == "size":
        try:
            from installer.packaging_size import print_sizes
        except ImportError:
            from packaging_size import print_sizes  # type: ignore[no-redef]

        return print_sizes(load_spec(SPEC), [args.app] if args.app else ["qdesk", "qdesk-bridge"])

    pyproject = stage(args.app, args.out, vendor=not args.no_vendor)
    print(pyproject)
    if args.command == "config":
        return 0
    status = _check(pyproject)
    if status or args.command == "validate":
        return status
    project = pyproject.parent
    if args.command == "dev":
        flags = ["--no-input"] + ([] if args.isolated else ["--no-isolation"]) + (["--test"] if args.test else [])
        return _briefcase(project, "dev", *flags)
    target = [t for t in (args.platform, args.format) if t]
    extra = [a for a in extra if a != "--"]
    template = ["-C", f"template={json.dumps(str(args.template.resolve()))}"] if args.template else []
    if (args.platform or sys.platform).lower().startswith("linux"):
        # The offline template's launcher links the libpython of the interpreter running briefcase.
        template += ["-C", f"python_config={json.dumps(str(python_config()))}"]
    # A release build starts from a fresh bundle: `create` will not overwrite one without asking.
    shutil.rmtree(project / "build" / args.app, ignore_errors=True)
    for step in ("create", "build", "package"):
        status = _briefcase(project, step, *target, "--no-input", *template, *(extra if step == "package" else []))
        if status:
            return status
    return 0


if __name__ == "__main__":
    sys.exit(main())
