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


def real_data(*parts: str) -> Path:
    """A path in the real-data folder. Missing data fails the test, never skips it: a CI run without the
    data must not pass by testing less."""
    path = shared_data_dir().joinpath(*parts)
    if not path.exists():
        pytest.fail(
            f"real test data not found at {path}: put the shared data folder at {REPO.parent / 'shared' / 'data'} "
            "or point QDESK_TEST_DATA at it",
            pytrace=False,
        )
    return path


@pytest.fixture(scope="session")
def cn_data() -> Path:
    return real_data("cn")


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
