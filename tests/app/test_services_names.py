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
from core.storage.instrument_names import name_as_of, name_history, st_periods
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
            first, again, renamed = asyncio.run(_follow(services, tmp_path / "bridge.sqlite"))
            assert (first, again, renamed) == (2, 0, 1)
            assert heard == [InstrumentsUpdated(2), InstrumentsUpdated(0), InstrumentsUpdated(1)]
            assert services.names["600133.SH"] == "*ST东湖" and services.names[ST] == "*ST青纸"
            rows = {r["symbol"]: r for r in services.store.instruments()}
            assert rows[ST]["list_date"] == "2000-03-06" and rows[ST]["name"] == "*ST青纸"
            assert [p.name for p in name_history(services.store, ST)] == ["*ST青纸"]
            # A first name has no known start, so no dated period; a warning name seen later starts one that day.
            assert st_periods(services.store) == {"600133.SH": [("2021-12-03", "9999-12-31")]}
            assert name_as_of(services.store, "600133.SH", dt.date(2021, 12, 2)) == "东湖高新"
        finally:
            services.close()


async def _follow(services: Services, bridge_store: Path) -> tuple[int, int, int]:
    """The session starts (its sync runs as a tracked task), syncs the next day with nothing changed, then the
    day after the bridge reports a rename; the session stops, its tasks and client with it."""
    loop = asyncio.get_running_loop()
    synced = asyncio.Event()
    counts: list[int] = []

    def heard(event: object) -> None:
        if isinstance(event, InstrumentsUpdated):
            counts.append(event.count)
            loop.call_soon_threadsafe(synced.set)

    services.events.subscribe(heard)
    services.start()
    try:
        await asyncio.wait_for(synced.wait(), 30)
        again = await services.sync_instruments(today=dt.date(2021, 12, 2))
        store = MarketStore.open(bridge_store)
        with store.transaction():
            store.update_instruments([("600133.SH", "*ST东湖", None, None)], today=dt.date(2021, 12, 3))
        store.close()
        renamed = await services.sync_instruments(today=dt.date(2021, 12, 3))
    finally:
        await services.stop()
    return counts[0], again, renamed
