"""The README's test command runs ruff, ruff format and mypy before pytest and names each check that fails."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from installer.dev import static_checks

PYPROJECT = '[tool.ruff]\nline-length = 120\n\n[tool.mypy]\nfiles = ["pkg"]\n'


def _project(root: Path, source: str) -> Path:
    (root / "pkg").mkdir()
    (root / "pkg" / "__init__.py").write_text("")
    (root / "pkg" / "mod.py").write_text(source)
    (root / "pyproject.toml").write_text(PYPROJECT)
    return root


def test_clean_code_passes_every_check(tmp_path: Path) -> None:
    root = _project(tmp_path, "def double(x: int) -> int:\n    return x * 2\n")
    assert static_checks(Path(sys.executable), root) == []


def test_each_failing_check_is_named(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # An unused import (ruff), a cramped line (format) and a str returned as int (mypy).
    root = _project(tmp_path, "import os\ndef double(x: int) -> int:\n    return  'x'\n")
    assert static_checks(Path(sys.executable), root) == ["ruff check", "ruff format --check", "mypy"]
    printed = capsys.readouterr().out
    assert "[qdesk] ruff check" in printed and "[qdesk] mypy" in printed
