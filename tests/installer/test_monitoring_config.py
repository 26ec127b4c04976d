"""resources/monitoring/prometheus.yml validates as shipped: every file it names is beside it."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from installer.package import ROOT

FOLDER = ROOT / "resources" / "monitoring"


def _named_files(node: Any) -> Iterator[str]:
    """Values of Prometheus's `*_file` keys (credentials, CA, certificates, password files)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key.endswith("_file") and isinstance(value, str):
                yield value
            else:
                yield from _named_files(value)
    elif isinstance(node, list):
        for item in node:
            yield from _named_files(item)


def test_named_files_are_relative_and_shipped_beside_the_config() -> None:
    config = yaml.safe_load((FOLDER / "prometheus.yml").read_text(encoding="utf-8"))
    named = list(_named_files(config))
    assert named == ["qdesk-bridge.token"]
    for name in named:
        # Prometheus reads a relative path from the config file's folder: a copy of the folder validates.
        assert not Path(name).is_absolute()
        assert (FOLDER / name).is_file()
    # A placeholder, one line, that says what to put there: never a real token in the repository.
    lines = (FOLDER / "qdesk-bridge.token").read_text(encoding="utf-8").splitlines()
    assert lines == ["replace-this-line-with-the-bridge-token"]


def test_the_monitoring_readme_documents_the_token_file() -> None:
    readme = (FOLDER / "README.md").read_text(encoding="utf-8")
    assert "`qdesk-bridge.token`" in readme and "chmod 600" in readme


@pytest.mark.skipif(shutil.which("promtool") is None, reason="promtool (Debian package prometheus) not installed")
def test_promtool_accepts_a_copy_of_the_folder(tmp_path: Path) -> None:
    copy = shutil.copytree(FOLDER, tmp_path / "monitoring")
    checked = subprocess.run(
        ["promtool", "check", "config", "prometheus.yml"], cwd=copy, capture_output=True, text=True, timeout=60
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr
