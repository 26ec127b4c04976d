"""A store with a few real symbols, shared by the backtest tests of this folder (read-only)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from core.storage import MarketStore
from tests.core.backtest.fixtures import fill_store


@pytest.fixture(scope="module")
def real_store(tmp_path_factory: pytest.TempPathFactory, cn_data: Path) -> Iterator[MarketStore]:
    store = MarketStore.open(tmp_path_factory.mktemp("backtest") / "market.sqlite")
    fill_store(store, cn_data)
    yield store
    store.close()
