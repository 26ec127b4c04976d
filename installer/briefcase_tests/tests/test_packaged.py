"""What must hold in every packaged build: resources present, build stamped, CLI and window start."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

APP = os.environ.get("QDESK_PACKAGED_APP", "qdesk")


def test_resources_and_icons_are_bundled() -> None:
    from app.resources import RESOURCES_DIR, demo_daily_dir, icon_path

    assert icon_path().is_file()
    assert (RESOURCES_DIR / "demo" / "NOTICE").is_file()
    assert len(list(demo_daily_dir().glob("*.csv"))) == 8
    icon = "qdesk-bridge" if APP == "qdesk_bridge" else "qdesk"
    assert (RESOURCES_DIR / "icons" / f"{icon}.ico").is_file()


def test_build_is_stamped_with_the_project_version() -> None:
    from app.build_info import build_info, read_stamp

    stamp = read_stamp()
    assert stamp, "resources/build_info.json is missing from the package"
    assert build_info().version == stamp["version"]


def test_command_line_parses_every_subcommand() -> None:
    from app.cli import build_parser

    parser = build_parser()
    with pytest.raises(SystemExit) as exit_info:
        parser.parse_args(["bridge", "--help"])
    assert exit_info.value.code == 0


@pytest.mark.skipif(APP != "qdesk", reason="the desktop window is part of QDesk only")
def test_desktop_window_renders_on_demo_data(tmp_path: Path) -> None:
    from app.desktop import run_desktop

    shot = tmp_path / "window.png"
    assert run_desktop(tmp_path / "data", True, "zh_CN", shot) == 0
    assert shot.stat().st_size > 10_000


@pytest.fixture(scope="module")
def imported_demo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder with the demo CSV files imported through the CLI, as a user's folder import runs."""
    from app.cli import main
    from app.resources import demo_daily_dir

    data = tmp_path_factory.mktemp("data")
    folder = tmp_path_factory.mktemp("csv")
    for csv in demo_daily_dir().glob("*.csv"):
        shutil.copy2(csv, folder / csv.name)
    # 8 files: enough for the parse pool, whose spawned workers start this packaged app's own executable.
    assert main(["--data-dir", str(data), "data", "import", str(folder)]) == 0
    return data


@pytest.mark.skipif(APP != "qdesk", reason="importing and training are QDesk's")
def test_folder_import_runs_in_worker_processes_of_the_package(imported_demo: Path, capsys) -> None:
    from app.cli import main

    capsys.readouterr()
    assert main(["--data-dir", str(imported_demo), "data", "status"]) == 0
    status = capsys.readouterr().out
    assert re.search(r"^1d\s+8\s", status, re.MULTILINE), status  # every demo file imported


@pytest.mark.skipif(APP != "qdesk", reason="importing and training are QDesk's")
def test_training_a_model_on_the_imported_data(imported_demo: Path) -> None:
    from app.cli import main

    args = ["--data-dir", str(imported_demo), "train", "--model", "lightgbm", "--dataset", "alpha158"]
    args += ["--universe", "all", "--segments", "2000:2006,2007:2008,2009:2011", "--epochs", "3"]
    assert main(args) == 0
    assert list((imported_demo / "runs").glob("*/predictions.parquet"))


def test_bridge_serves_health_over_loopback(tmp_path: Path) -> None:
    import asyncio

    from core.bridge.auth import TokenStore
    from core.bridge.client.http import BridgeHttp
    from core.bridge.server.runner import ServeOptions, ServerThread
    from core.bridge.service import BridgeService
    from core.bridge.sources.sim import SimSource

    tokens = TokenStore(tmp_path / "bridge.json")
    token = tokens.create("smoke")
    server = ServerThread(BridgeService(SimSource(n_symbols=10), tokens), ServeOptions(port=0))
    address = server.start()
    try:

        async def health() -> dict:
            http = BridgeHttp(address.http_url, token)
            try:
                return await http.health()
            finally:
                await http.aclose()

        assert asyncio.run(health())["api"] == "1"
    finally:
        server.stop()
