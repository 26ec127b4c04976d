"""briefcase.toml → staged briefcase project per app: pins, sources, icons, exclusions, briefcase's own parser."""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
from pathlib import Path

import pytest
import tomllib

from installer.package import LOCK, ROOT, SPEC, dumps_toml, stage
from installer.packaging_rules import (
    SpecError,
    app_spec,
    load_spec,
    pin_requirements,
    read_lock,
    validate_project,
)
from installer.packaging_size import closure

APPS = ("qdesk", "qdesk-bridge")
PYPROJECT = ROOT / "pyproject.toml"


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("briefcase")
    # vendor=False: pyqlib would come from the package index; the staging logic is the same without it.
    return {app: stage(app, out, vendor=False) for app in APPS}


def _config(pyproject: Path, app: str) -> dict:
    return tomllib.loads(pyproject.read_text(encoding="utf-8"))["tool"]["briefcase"]["app"][app]


@pytest.mark.parametrize("app", APPS)
def test_each_staged_app_passes_validation(staged: dict[str, Path], app: str) -> None:
    assert validate_project(staged[app], LOCK, PYPROJECT) == []


@pytest.mark.parametrize("app", APPS)
def test_requires_are_the_exact_lock_pins(staged: dict[str, Path], app: str) -> None:
    lock = read_lock(LOCK)
    requires = _config(staged[app], app)["requires"]
    names = {r.split("==")[0].lower(): r.split("==")[1] for r in requires}
    assert all(lock[name.replace("_", "-").replace(".", "-")] == version for name, version in names.items())
    assert not {"pytest", "pytest-qt", "jupyter", "notebook", "ipykernel"} & set(names)
    # The tests' own requirements are kept apart, for briefcase's --test runs only.
    assert _config(staged[app], app)["test_requires"] == [
        f"pytest=={lock['pytest']}",
        f"pytest-qt=={lock['pytest-qt']}",
    ]


@pytest.mark.parametrize("app", APPS)
def test_staged_sources_hold_no_tests_caches_notebooks_or_fixture_data(staged: dict[str, Path], app: str) -> None:
    src = staged[app].parent / "src"
    files = [p.relative_to(src) for p in src.rglob("*") if p.is_file()]
    assert files, "nothing staged"
    assert not [f for f in files if f.suffix in (".pyc", ".ipynb") or "__pycache__" in f.parts]
    assert not [f for f in files if "tests" in f.parts or "screenshots" in f.parts]
    data = [f for f in files if f.name.endswith(".csv")]
    assert data and all(f.parts[:2] == ("resources", "demo") for f in data)
    # The demo data travels with its attribution.
    assert (src / "resources" / "demo" / "NOTICE").is_file()
    launcher = "qdesk_bridge" if app == "qdesk-bridge" else "qdesk"
    assert (src / launcher / "__main__.py").is_file()


def test_build_stamp_carries_version_and_commit(staged: dict[str, Path]) -> None:
    stamp = json.loads((staged["qdesk"].parent / "src" / "resources" / "build_info.json").read_text())
    assert stamp["version"] == tomllib.loads(PYPROJECT.read_text())["project"]["version"]
    assert stamp["app"] == "qdesk" and len(stamp["commit"]) >= 7


def test_validation_reports_each_kind_of_mistake(tmp_path: Path) -> None:
    pyproject = stage("qdesk-bridge", tmp_path, vendor=False)
    src = pyproject.parent / "src"
    (src / "app" / "scratch.ipynb").write_text("{}")
    (src / "core" / "600000.SH.csv").write_text("date,open\n")
    (src / "resources" / "icons" / "qdesk-bridge-64.png").unlink()
    text = (
        pyproject.read_text()
        .replace('"httpx==0.28.1"', '"httpx==0.27.0"')
        .replace('formal_name = "QDesk Bridge"\n', "")
    )
    pyproject.write_text(text)

    problems = "\n".join(validate_project(pyproject, LOCK, PYPROJECT))
    assert "src/app/scratch.ipynb must not be packaged" in problems
    assert "src/core/600000.SH.csv must not be packaged" in problems
    assert "icon file src/resources/icons/qdesk-bridge-64.png missing" in problems
    assert "httpx==0.27.0 but requirements.lock pins 0.28.1" in problems
    assert "lacks 'formal_name'" in problems


def test_pinning_refuses_unlocked_names_and_excluded_versions() -> None:
    lock = {"numpy": "2.2.6", "pandas": "2.2.3"}
    assert pin_requirements(["numpy>=1.26", "pandas"], lock) == ["numpy==2.2.6", "pandas==2.2.3"]
    with pytest.raises(SpecError, match="'rich' is not pinned in requirements.lock"):
        pin_requirements(["rich"], lock)
    with pytest.raises(SpecError, match="pandas <2 excludes the locked version 2.2.3"):
        pin_requirements(["pandas<2"], lock)


def test_lock_lines_must_be_exact_pins(tmp_path: Path) -> None:
    lock = tmp_path / "requirements.lock"
    lock.write_text("# comment\nnumpy==2.2.6\nrich>=13\n")
    with pytest.raises(SpecError, match=r"requirements.lock:3: not an exact pin"):
        read_lock(lock)


def test_briefcase_toml_versions_match_pyproject_and_icons_exist() -> None:
    spec = load_spec(SPEC)
    version = tomllib.loads(PYPROJECT.read_text())["project"]["version"]
    assert spec["tool"]["briefcase"]["version"] == version
    for app in APPS:
        _, table = app_spec(spec, app)
        assert (ROOT / f"{table['icon']}.svg").is_file()
        assert all((ROOT / s).exists() for s in table["sources"])


def test_toml_writer_round_trips_the_spec() -> None:
    spec = load_spec(SPEC)
    assert tomllib.loads(dumps_toml(spec)) == spec


def _png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    return struct.unpack(">II", data[16:24])


@pytest.mark.parametrize("name", ["qdesk", "qdesk-bridge"])
def test_icon_containers_hold_every_size(name: str) -> None:
    icons = ROOT / "resources" / "icons"
    ico = (icons / f"{name}.ico").read_bytes()
    reserved, kind, count = struct.unpack("<HHH", ico[:6])
    assert (reserved, kind) == (0, 1)
    sizes = []
    for i in range(count):
        width, _, _, _, _, _, length, offset = struct.unpack("<BBBBHHII", ico[6 + 16 * i : 22 + 16 * i])
        assert _png_size(ico[offset : offset + length])[0] == (width or 256)
        sizes.append(width or 256)
    assert sorted(sizes) == [16, 32, 48, 64, 128, 256]

    icns = (icons / f"{name}.icns").read_bytes()
    assert icns[:4] == b"icns" and struct.unpack(">I", icns[4:8])[0] == len(icns)
    pos, kinds = 8, []
    while pos < len(icns):
        kind_bytes, length = icns[pos : pos + 4], struct.unpack(">I", icns[pos + 4 : pos + 8])[0]
        kinds.append((kind_bytes, _png_size(icns[pos + 8 : pos + length])[0]))
        pos += length
    assert (b"ic10", 1024) in kinds and (b"ic07", 128) in kinds
    for size in (16, 32, 64, 128, 256, 512):
        assert _png_size((icons / f"{name}-{size}.png").read_bytes()) == (size, size)


def test_launchers_start_the_cli_from_the_staged_sources(staged: dict[str, Path]) -> None:
    env = dict(os.environ, PYTHONPATH=str(staged["qdesk-bridge"].parent / "src"))
    bad = subprocess.run(
        [sys.executable, "-m", "qdesk_bridge", "--start-on-login", "maybe"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert bad.returncode == 2 and "argument --start-on-login: invalid choice: 'maybe'" in bad.stderr
    if sys.platform != "win32":
        off_windows = subprocess.run(
            [sys.executable, "-m", "qdesk_bridge", "--start-on-login", "on"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert off_windows.returncode == 2 and "available on Windows only" in off_windows.stderr
    # A login entry that replays the packaged launch (launcher file, `bridge`) starts the same bridge.
    launcher = staged["qdesk-bridge"].parent / "src" / "qdesk_bridge" / "__main__.py"
    replay = subprocess.run(
        [
            sys.executable,
            "-c",
            "import json, sys, qdesk_bridge.__main__ as m; print(json.dumps(m._bridge_args(sys.argv[1:])))",
            str(launcher),
            "bridge",
            "--host",
            "0.0.0.0",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert json.loads(replay.stdout) == ["--host", "0.0.0.0"], replay.stderr
    env["PYTHONPATH"] = str(staged["qdesk"].parent / "src")
    usage = subprocess.run(
        [sys.executable, "-m", "qdesk", "data", "--help"], env=env, capture_output=True, text=True, timeout=60
    )
    assert usage.returncode == 0 and "import" in usage.stdout


def test_bridge_requires_cover_what_the_bridge_imports() -> None:
    # Import the bridge the way `qdesk bridge --source sim` does and map every loaded module to its package.
    code = (
        "import importlib, json, sys\n"
        "for m in ['app.cli', 'app.cli.bridge_commands', 'core.bridge.server.runner', 'core.bridge.server.app',\n"
        "          'core.bridge.sources.sim', 'core.bridge.sources.replay', 'core.bridge.client']:\n"
        "    importlib.import_module(m)\n"
        "from importlib.metadata import packages_distributions\n"
        "pd = packages_distributions()\n"
        "print(json.dumps(sorted({d for m in list(sys.modules) for d in pd.get(m.split('.')[0], [])})))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    imported = {name.lower().replace("_", "-") for name in json.loads(out.stdout)}
    from importlib import metadata

    installed = {d.metadata["Name"].lower().replace("_", "-"): d for d in metadata.distributions()}
    _, table = app_spec(load_spec(SPEC), "qdesk-bridge")
    shipped, _ = closure(table["requires"], installed)
    # Loaded only because this development environment has them: pandas and fastapi use them when present.
    optional_here = {
        "setuptools",
        "pluggy",
        "pytest",
        "pytest-qt",
        "pyarrow",
        "cloudpickle",
        "rich",
        "pygments",
        "colorama",
        "opentelemetry-api",
        "opentelemetry-sdk",
        "opentelemetry-proto",
        "opentelemetry-semantic-conventions",
    }
    assert imported - shipped - optional_here == set()
    assert {"fastapi", "uvicorn", "websockets", "httpx", "pandas"} <= shipped


def test_validation_refuses_a_package_index_of_its_own(tmp_path: Path) -> None:
    pyproject = stage("qdesk", tmp_path, vendor=False)
    text = pyproject.read_text()
    linux = "\n[tool.briefcase.app.qdesk.linux]\n"
    assert linux not in text  # the spec names no index: builds use the one pip is configured with
    extra = 'requirement_installer_args = ["--extra-index-url", "https://example.invalid/simple", "--pre"]\n'
    pyproject.write_text(text + linux + extra)
    problems = validate_project(pyproject, LOCK, PYPROJECT)
    assert problems == [
        "app qdesk: requirement_installer_args '--extra-index-url': builds use only pip's configured index"
    ]


def test_qt_libraries_of_the_source_setup_are_dependencies_of_both_debs() -> None:
    from installer.dev import QT_SYSTEM_LIBS

    # Qt's xcb platform plugin (a window, a tray icon) fails to load without these.
    assert {"libxcb-cursor0", "libxcb-icccm4", "libxcb-keysyms1", "libxkbcommon-x11-0"} <= set(QT_SYSTEM_LIBS.values())
    spec = load_spec(SPEC)
    for app in APPS:
        _, table = app_spec(spec, app)
        debian = set(table["linux"]["system"]["debian"]["system_runtime_requires"])
        assert set(QT_SYSTEM_LIBS.values()) <= debian, app
