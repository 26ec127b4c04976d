"""Briefcase's own parser accepts each staged app for every target (runs where briefcase is installed)."""

from __future__ import annotations

from pathlib import Path

import pytest
import tomllib

from installer.package import stage
from tests.installer.packaging_tools import require_module

APPS = ("qdesk", "qdesk-bridge")
BRIEFCASE_TARGETS = [("linux", "system"), ("windows", "app"), ("macOS", "app")]


@pytest.fixture(scope="module")
def staged(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    out = tmp_path_factory.mktemp("briefcase")
    return {app: stage(app, out, vendor=False) for app in APPS}


@pytest.mark.parametrize("app", APPS)
@pytest.mark.parametrize(("platform", "output_format"), BRIEFCASE_TARGETS)
def test_briefcase_parses_the_staged_config(
    staged: dict[str, Path], app: str, platform: str, output_format: str
) -> None:
    require_module("briefcase")
    from briefcase.config import AppConfig, GlobalConfig, parse_config
    from briefcase.console import Console

    global_config, apps = parse_config(staged[app], platform=platform, output_format=output_format, console=Console())
    GlobalConfig(**global_config)
    config = AppConfig(**apps[app])  # runs briefcase's own checks: name, bundle, version, sources
    assert config.module_name == app.replace("-", "_")
    assert config.license == {"text": ""} or config.license
    assert all(r.count("==") == 1 for r in config.requires)
    if platform == "linux":
        # Briefcase merges the distribution's block (here Debian's) when it targets that distribution;
        # both apps load Qt's xcb platform (the bridge for its tray icon).
        assert "libxcb-cursor0" in apps[app]["debian"]["system_runtime_requires"]
        # Requirements come from the configured package index only.
        installer_args = apps[app].get("requirement_installer_args", [])
        assert not [a for a in installer_args if "index" in a or "find-links" in a]


def test_the_staged_pyproject_is_what_briefcase_reads(staged: dict[str, Path]) -> None:
    require_module("briefcase")
    from briefcase.config import parse_config
    from briefcase.console import Console

    _, apps = parse_config(staged["qdesk"], platform="linux", output_format="system", console=Console())
    written = tomllib.loads(staged["qdesk"].read_text())["tool"]["briefcase"]["app"]["qdesk"]
    assert apps["qdesk"]["requires"] == written["requires"]
    assert apps["qdesk"]["sources"] == written["sources"]
