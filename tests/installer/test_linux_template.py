"""The offline Linux system template: it renders, and its launcher runs the app's module with every argument."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import tomllib

from installer.package import ROOT, python_config
from installer.packaging_rules import LINUX_ICON_SIZES
from tests.installer.packaging_tools import require, require_module

TEMPLATE = ROOT / "installer" / "briefcase_templates" / "linux-system"
LAUNCHERS = ROOT / "installer" / "launchers"
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
SYSTEM_CONFIG = Path(f"/usr/bin/python{VERSION}-config")
# What a package's user has: the system's own programs, no pyenv/conda shims, no build-host variables.
CLEAN_ENV = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}


def _render(out: Path, **extra: str) -> Path:
    cookiecutter = require_module("cookiecutter.main")
    context = {
        "format": "bookworm",
        "formal_name": "Demo App",
        "app_name": "demo-app",
        "module_name": "demo_app",
        "bundle_identifier": "cn.qdesk.demo-app",
        "description": "A demo",
        "version": "1.2.0",
        # The system Python's version: the launcher below is built against it.
        "python_version": f"{VERSION}.0",
        **extra,
    }
    cookiecutter.cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(out), extra_context=context)
    return out / "bookworm"


def _can_build() -> None:
    require(
        sys.platform.startswith("linux") and bool(shutil.which("gcc")) and bool(shutil.which("make")),
        "needs Linux with gcc and make (build-essential)",
    )
    require(
        SYSTEM_CONFIG.exists() and Path(f"/usr/include/python{VERSION}/Python.h").exists(),
        f"needs the system Python's headers ({SYSTEM_CONFIG}, python3-dev)",
    )


def _build(bundle: Path, app: str, *make_args: str) -> Path:
    built = subprocess.run(
        ["make", "-C", "bootstrap", "install", *make_args], cwd=bundle, capture_output=True, text=True, timeout=180
    )
    assert built.returncode == 0, built.stdout + built.stderr
    return bundle / f"{app}-1.2.0/usr/bin/{app}"


def test_the_template_renders_the_paths_briefcase_reads(tmp_path: Path) -> None:
    bundle = _render(tmp_path)
    paths = tomllib.loads((bundle / "briefcase.toml").read_text())["paths"]
    root = "demo-app-1.2.0/usr"
    assert paths["app_path"] == f"{root}/lib/demo-app/app"
    assert paths["app_packages_path"] == f"{root}/lib/demo-app/app_packages"
    assert sorted(int(k) for k in paths["icon"]) == list(LINUX_ICON_SIZES)
    assert (bundle / "demo-app-1.2.0/usr/lib/demo-app").is_dir()  # briefcase makes app/ inside it
    desktop = (bundle / f"{root}/share/applications/cn.qdesk.demo-app.desktop").read_text()
    assert "Exec=/usr/bin/demo-app" in desktop and "Name=Demo App" in desktop
    assert (bundle / "demo-app.1").read_text().startswith(".TH DEMO-APP 1")


def test_the_launcher_links_the_python_that_runs_briefcase_never_one_from_path(tmp_path: Path) -> None:
    # Without a value from installer/package.py the system Python's tool, by absolute path.
    default = _render(tmp_path / "default")
    assert "PYTHON_CONFIG ?= /usr/bin/python$(PYVER)-config\n" in (default / "bootstrap/Makefile").read_text()
    given = _render(tmp_path / "given", python_config="/opt/py/bin/python3.11-config")
    assert "PYTHON_CONFIG ?= /opt/py/bin/python3.11-config\n" in (given / "bootstrap/Makefile").read_text()


def test_package_py_names_the_config_tool_of_its_own_interpreter() -> None:
    tool = python_config()
    require(tool.exists(), f"{tool} is not installed (the Python headers of this interpreter)")
    prefix = subprocess.run([str(tool), "--prefix"], capture_output=True, text=True, timeout=30, check=True)
    assert Path(prefix.stdout.strip()).resolve() == Path(sys.base_prefix).resolve()


def test_a_missing_config_tool_stops_the_build_with_one_line(tmp_path: Path) -> None:
    _can_build()
    bundle = _render(tmp_path, python_config="/nonexistent/python3.11-config")
    built = subprocess.run(["make", "-C", "bootstrap", "install"], cwd=bundle, capture_output=True, text=True)
    assert built.returncode != 0
    assert "/nonexistent/python3.11-config not found: install the Python headers (python3-dev)" in built.stderr


def test_the_launcher_runs_the_module_with_every_argument(tmp_path: Path) -> None:
    _can_build()
    bundle = _render(tmp_path)
    lib = bundle / "demo-app-1.2.0/usr/lib/demo-app"
    (lib / "app" / "demo_app").mkdir(parents=True)
    (lib / "app_packages").mkdir()
    (lib / "app" / "demo_app" / "__init__.py").write_text("")
    (lib / "app" / "demo_app" / "quotes.py").write_text("ANSWER = 42\n")
    (lib / "app" / "demo_app" / "__main__.py").write_text(
        "import json, socket, ssl, sys\n"
        "from demo_app.quotes import ANSWER\n"
        "print(json.dumps({'args': sys.argv[1:], 'path': sys.path[:2], 'prefix': sys.base_prefix}))\n"
    )
    launcher = _build(bundle, "demo-app")
    # No RUNPATH into a build host's home: libpython is the system's, found where the system keeps it.
    dynamic = subprocess.run(["readelf", "-d", str(launcher)], capture_output=True, text=True, check=True).stdout
    assert "RPATH" not in dynamic and "RUNPATH" not in dynamic
    # Arguments that look like Python's own options must reach the app unchanged; extension modules
    # of the stdlib (_socket, _ssl) load from the system Python.
    home = tmp_path / "home"
    ran = subprocess.run(
        [str(launcher), "-c", "--start-on-login", "on"],
        capture_output=True,
        text=True,
        timeout=60,
        env={**CLEAN_ENV, "HOME": str(home)},
    )
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["args"] == ["-c", "--start-on-login", "on"]
    assert [Path(p).resolve() for p in result["path"]] == [(lib / "app").resolve(), (lib / "app_packages").resolve()]
    assert result["prefix"] == "/usr"
    # Bytecode goes to the user's cache, never beside the installed files (dpkg owns those).
    assert not list(lib.rglob("__pycache__"))
    assert list((home / ".cache" / "demo-app" / "pycache").rglob("quotes*.pyc"))


# A strict command line in place of app.cli (which needs the app's dependencies): like the real one it
# refuses arguments it does not know, and its work runs in a spawn pool, as the folder import does.
_CLI = """
import argparse, json, multiprocessing, sys
from concurrent.futures import ProcessPoolExecutor


def square(x):
    return x * x


def main(argv):
    argparse.ArgumentParser(prog="qdesk").parse_args(argv)  # it has no options: any is refused
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn")) as pool:
        squares = list(pool.map(square, range(8)))
    print(json.dumps({"squares": squares, "executable": sys.executable}))
    return 0
"""


def test_spawned_workers_of_the_packaged_launcher_run_their_task_not_the_cli(tmp_path: Path) -> None:
    _can_build()
    bundle = _render(tmp_path, app_name="qdesk", module_name="qdesk")
    lib = bundle / "qdesk-1.2.0/usr/lib/qdesk"
    shutil.copytree(LAUNCHERS / "qdesk", lib / "app" / "qdesk")  # the launcher package that ships
    (lib / "app" / "app").mkdir()
    (lib / "app" / "app" / "__init__.py").write_text("")
    (lib / "app" / "app" / "cli.py").write_text(_CLI)
    (lib / "app_packages").mkdir()
    launcher = _build(bundle, "qdesk")
    ran = subprocess.run([str(launcher)], capture_output=True, text=True, timeout=120, env=CLEAN_ENV)
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["squares"] == [x * x for x in range(8)]
    # The workers were started through the launcher itself, with multiprocessing's `-c` arguments.
    assert Path(result["executable"]).resolve() == launcher.resolve()
    refused = subprocess.run([str(launcher), "--bogus"], capture_output=True, text=True, timeout=60, env=CLEAN_ENV)
    assert refused.returncode == 2 and "unrecognized arguments: --bogus" in refused.stderr
