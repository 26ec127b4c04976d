"""Shared test fixtures: the shared real-data folder and a fresh store in a temp dir."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.storage import MarketStore

REPO = Path(__file__).resolve().parents[1]


def shared_data_dir() -> Path:
    """Real A-share fixtures beside the repository (override with QDESK_TEST_DATA)."""
    return Path(os.environ.get("QDESK_TEST_DATA", REPO.parent / "shared" / "data"))


@pytest.fixture(scope="session")
def cn_data() -> Path:
    path = shared_data_dir() / "cn"
    if not path.exists():
        pytest.skip(f"real-data fixtures not found at {path}")
    return path


@pytest.fixture()
def store(tmp_path: Path) -> Iterator[MarketStore]:
    s = MarketStore.open(tmp_path / "market.sqlite")
    yield s
    s.close()


def read_lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def write_lines(path: Path, lines: list[str], encoding: str = "utf-8") -> Path:
    path.write_text("\n".join(lines) + "\n", encoding=encoding)
    return path
