"""A desktop session connected to a bridge takes names, listing dates and ST marks from its instrument list."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from pathlib import Path

from app.services import Services, open_services
from core.bridge.sources.history import StoreHistory
from core.bridge.sources.replay import ReplaySource
from core.data.importer import import_one
from core.events import InstrumentsUpdated
from core.paths import store_path
from core.storage import MarketStore
from core.storage.instrument_names import name_history, st_periods
from tests.core.bridge.conftest import serve

ST = "600103.SH"  # *ST青纸 in 2021


def test_bridge_names_reach_the_store_the_session_and_the_docks(cn_data: Path, tmp_path: Path) -> None:
    # The bridge side: real snapshots to replay, and a store of its own that knows the names.
    snapshots = tmp_path / "snapshots"
    snapshots.mkdir()
    for symbol in (ST, "600133.SH"):
        shutil.copy(cn_data / "tick" / "snapshot" / f"{symbol}_2021-12-01.csv", snapshots)
    bridge_store = MarketStore.open(tmp_path / "bridge.sqlite")
    with bridge_store.transaction():
        bridge_store.update_instruments([(ST, "*ST青纸", "2000-03-06", None), ("600133.SH", "东湖高新", None, None)])
    bridge_store.close()
    # The desktop side: a real store with bars and no names, as a CSV import leaves it.
    data = tmp_path / "data"
    desk = MarketStore.open(store_path(data))
    assert import_one(desk, cn_data / "daily" / "600000.SH.csv").ok
    desk.close()
    source = ReplaySource(snapshots, speed=0, loop=False, history=StoreHistory(tmp_path / "bridge.sqlite"))
    with serve(source, tmp_path / "config") as running:
        services = open_services(data, demo=False, bridge_url=running.url, bridge_token=running.token)
        heard: list[object] = []
        services.events.subscribe(heard.append)
        try:
            assert services.names.get("600133.SH", "") == ""
            first, again = asyncio.run(_sync_twice(services))
            assert first == 2 and again == 0 and heard == [InstrumentsUpdated(2), InstrumentsUpdated(0)]
            assert services.names["600133.SH"] == "东湖高新" and services.names[ST] == "*ST青纸"
            rows = {r["symbol"]: r for r in services.store.instruments()}
            assert rows[ST]["list_date"] == "2000-03-06" and rows[ST]["name"] == "*ST青纸"
            assert [p.name for p in name_history(services.store, ST)] == ["*ST青纸"]
            assert st_periods(services.store) == {}  # a first name has no known start: no dated period
        finally:
            services.close()


async def _sync_twice(services: Services) -> tuple[int, int]:
    """The sync on a first session day, and again the next day with nothing changed; then the client closes."""
    assert services.bridge is not None
    try:
        first = await services.sync_instruments(today=dt.date(2021, 12, 1))
        again = await services.sync_instruments(today=dt.date(2021, 12, 2))
    finally:
        await services.bridge.close()
    return first, again
