"""The demo store: the bundled real daily bars imported into a store of their own, once."""

from __future__ import annotations

from pathlib import Path

from core.data.importer import discover_files, import_files
from core.storage.market_store import MarketStore


def open_demo_store(store_file: Path, demo_files: list[Path]) -> MarketStore:
    """Open `store_file`, importing `demo_files` first if it holds no bars yet.

    Kept apart from the user's own store, so demo bars never mix with real imports.
    """
    store = MarketStore.open(store_file)
    if not store.series("1d"):
        for step in import_files(store, discover_files(demo_files), workers=0):
            if step.report is not None and not step.report.ok:
                raise RuntimeError(f"bundled demo data is damaged: {step.report.error}")
    return store
