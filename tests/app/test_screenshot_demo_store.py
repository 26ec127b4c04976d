"""A screenshot run in demo mode opens a copy of the demo store the data folder holds, and leaves it untouched."""

from __future__ import annotations

import hashlib
from pathlib import Path

from app.resources import demo_daily_dir
from app.services import open_services


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_screenshot_opens_the_built_demo_store_instead_of_importing_it_again(tmp_path: Path) -> None:
    first = open_services(tmp_path, demo=True)  # a first start builds the demo store in the data folder
    symbols = sorted(s.symbol for s in first.store.series("1d"))
    dropped = symbols[0]
    with first.store.transaction():
        first.store.delete_series(dropped, "1d", first.store.next_revision())
    first.close()
    built = tmp_path / "demo" / "market.sqlite"
    before = _digest(built)

    shot = open_services(tmp_path, demo=True, scratch=True)
    try:
        stored = sorted(s.symbol for s in shot.store.series("1d"))
        assert stored == symbols[1:]  # the folder's store as it is, not the bundled bars imported afresh
        assert shot.store.path != built and shot.store.path.parent.parent != tmp_path
        assert len(shot.store.read_bars(symbols[1], "1d")) > 100
    finally:
        shot.close()
    assert _digest(built) == before


def test_without_a_usable_demo_store_a_screenshot_imports_the_bundled_bars(tmp_path: Path) -> None:
    bundled = sorted(p.stem for p in demo_daily_dir().glob("*.csv"))
    damaged = tmp_path / "demo" / "market.sqlite"
    damaged.parent.mkdir(parents=True)
    damaged.write_bytes(b"not a database at all" * 100)
    shot = open_services(tmp_path, demo=True, scratch=True)
    try:
        assert sorted(s.symbol for s in shot.store.series("1d")) == bundled
    finally:
        shot.close()
    assert damaged.read_bytes() == b"not a database at all" * 100
    fresh = open_services(tmp_path / "new", demo=True, scratch=True)  # no demo store at all
    try:
        assert sorted(s.symbol for s in fresh.store.series("1d")) == bundled
    finally:
        fresh.close()
    assert not (tmp_path / "new" / "demo").exists()
