"""The offline Linux system template: it renders, and its launcher runs the app's module with every argument."""

from __future__ import annotations

import json
import platform
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from installer.package import ROOT
from installer.packaging_rules import LINUX_ICON_SIZES

TEMPLATE = ROOT / "installer" / "briefcase_templates" / "linux-system"
VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"


def _render(out: Path) -> Path:
    cookiecutter = pytest.importorskip("cookiecutter.main")
    context = {
        "format": "bookworm",
        "formal_name": "Demo App",
        "app_name": "demo-app",
        "module_name": "demo_app",
        "bundle_identifier": "cn.qdesk.demo-app",
        "description": "A demo",
        "version": "1.2.0",
        "python_version": platform.python_version(),
    }
    cookiecutter.cookiecutter(str(TEMPLATE), no_input=True, output_dir=str(out), extra_context=context)
    return out / "bookworm"


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


def test_the_launcher_runs_the_module_with_every_argument(tmp_path: Path) -> None:
    config = Path(f"/usr/bin/python{VERSION}-config")
    if not (sys.platform.startswith("linux") and shutil.which("gcc") and shutil.which("make") and config.exists()):
        pytest.skip("needs Linux with gcc, make and the system Python's headers (python3-dev)")
    bundle = _render(tmp_path)
    lib = bundle / "demo-app-1.2.0/usr/lib/demo-app"
    (lib / "app" / "demo_app").mkdir(parents=True)
    (lib / "app_packages").mkdir()
    (lib / "app" / "demo_app" / "__main__.py").write_text(
        "import json, sys\nprint(json.dumps({'args': sys.argv[1:], 'path': sys.path[:2]}))\n"
    )
    built = subprocess.run(
        ["make", "-C", "bootstrap", "install", f"PYTHON_CONFIG={config}"],
        cwd=bundle,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if built.returncode != 0 and "Python.h" in built.stderr:
        pytest.skip("the system Python's headers are not installed (python3-dev)")
    assert built.returncode == 0, built.stderr
    launcher = bundle / "demo-app-1.2.0/usr/bin/demo-app"
    # Arguments that look like Python's own options must reach the app unchanged.
    ran = subprocess.run(
        [str(launcher), "-c", "--start-on-login", "on"],
        capture_output=True,
        text=True,
        timeout=60,
        env={"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"},
    )
    assert ran.returncode == 0, ran.stderr
    result = json.loads(ran.stdout)
    assert result["args"] == ["-c", "--start-on-login", "on"]
    assert [Path(p).resolve() for p in result["path"]] == [(lib / "app").resolve(), (lib / "app_packages").resolve()]
