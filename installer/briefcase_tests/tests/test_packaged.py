"""What must hold in every packaged build: resources present, build stamped, CLI and window start."""

from __future__ import annotations

import os
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


@pytest.mark.skipif(APP != "qdesk_bridge", reason="the bridge is QDesk Bridge's job")
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
