"""The demo store: the bundled real daily bars imported into a store of their own, once."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from core.storage.market_store import MarketStore


def open_demo_store(store_file: Path, demo_files: list[Path]) -> MarketStore:
    """Open `store_file`, importing `demo_files` first if it holds no bars yet.

    Kept apart from the user's own store, so demo bars never mix with real imports.
    """
    store = MarketStore.open(store_file)
    if not store.series("1d"):
        from core.data.importer import discover_files, import_files  # pandas loads only to build the store

        for step in import_files(store, discover_files(demo_files), workers=0):
            if step.report is not None and not step.report.ok:
                raise RuntimeError(f"bundled demo data is damaged: {step.report.error}")
    return store


def copy_demo_store(built: Path, store_file: Path) -> bool:
    """Copy an already built demo store `built` to `store_file` (a new folder); False when there is none."""
    if not built.is_file():
        return False
    store_file.parent.mkdir(parents=True, exist_ok=True)
    # SQLite's backup, not a file copy: bars still in the write-ahead log of a running window come along.
    source = sqlite3.connect(f"{built.resolve().as_uri()}?mode=ro", uri=True)
    target = sqlite3.connect(store_file)
    try:
        source.backup(target)
    except sqlite3.DatabaseError:
        return False  # damaged or not a store: the bundled bars are imported instead
    finally:
        target.close()
        source.close()
    return True
