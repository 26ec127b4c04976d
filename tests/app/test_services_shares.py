"""A desktop session connected to a bridge takes share capital from its instrument list to the store and the board."""

from __future__ import annotations

import asyncio
import datetime as dt
import shutil
from pathlib import Path

from PySide6.QtCore import Qt
from pytestqt.qtbot import QtBot

from app.quote_board_presenter import QuoteBoardPresenter
from app.services import Services, open_services
from core.bridge.sources.history import StoreHistory
from core.bridge.sources.replay import ReplaySource
from core.data.importer import import_one
from core.paths import store_path
from core.storage import MarketStore
from core.storage.instrument_shares import ShareCapital, record_shares, shares_as_of
from tests.core.bridge.conftest import serve
from widgets.quote_board_panel import QuoteBoardPanel

SYM = "600103.SH"
BEFORE = ShareCapital(1776889634.0, 1776889634.0)
AFTER = ShareCapital(2306625944.0, 1776889634.0)  # a placement: new shares, not yet tradable


def test_bridge_share_capital_reaches_the_store_the_session_and_the_turnover_column(
    qtbot: QtBot, cn_data: Path, tmp_path: Path
) -> None:
    snapshots = tmp_path / "snapshots"
    snapshots.mkdir()
    for symbol in (SYM, "600133.SH"):
        shutil.copy(cn_data / "tick" / "snapshot" / f"{symbol}_2021-12-01.csv", snapshots)
    bridge_path = tmp_path / "bridge.sqlite"
    bridge_store = MarketStore.open(bridge_path)
    with bridge_store.transaction():  # the bridge's store knows 600103's capital, not 600133's
        bridge_store.update_instruments([(SYM, "*ST青纸", None, None), ("600133.SH", "东湖高新", None, None)])
        record_shares(bridge_store, [(SYM, BEFORE.total_shares, BEFORE.float_shares, "")], dt.date(2021, 11, 1))
    bridge_store.close()
    data = tmp_path / "data"
    desk = MarketStore.open(store_path(data))
    assert import_one(desk, cn_data / "daily" / "600000.SH.csv").ok
    desk.close()
    source = ReplaySource(snapshots, speed=0, loop=False, history=StoreHistory(bridge_path))
    with serve(source, tmp_path / "config") as running:
        services = open_services(data, demo=False, bridge_url=running.url, bridge_token=running.token)
        try:
            assert services.float_shares == {}
            asyncio.run(_sync_twice(services, bridge_path))
            assert shares_as_of(services.store, SYM, dt.date(2021, 12, 1)) == BEFORE
            assert shares_as_of(services.store, SYM, dt.date(2021, 12, 2)) == AFTER  # dated from the day seen
            assert shares_as_of(services.store, "600133.SH") == ShareCapital()
            assert services.float_shares == {SYM: AFTER.float_shares}
            panel = QuoteBoardPanel()
            qtbot.addWidget(panel)
            services.watchlists.add(services.watchlists.current, SYM)
            services.watchlists.add(services.watchlists.current, "600133.SH")
            QuoteBoardPresenter(
                panel, services.hub, services.watchlists, services.names, float_shares=services.float_shares
            )
            model = panel.model
            column = next(
                c for c in range(model.columnCount()) if model.headerData(c, Qt.Orientation.Horizontal) == "Turnover %"
            )
            row = model.symbols().index(SYM)
            latest = services.hub.latest(SYM)
            assert latest is not None and latest.volume > 0  # the replay's last snapshot of the day
            assert model.data(model.index(row, column)) == f"{latest.volume / AFTER.float_shares * 100:.2f}%"
            assert model.data(model.index(model.symbols().index("600133.SH"), column)) == "—"
        finally:
            services.close()


async def _sync_twice(services: Services, bridge_path: Path) -> None:
    """The session syncs on 2021-12-01, the bridge then reports a placement, and the session syncs the next day."""
    try:
        await services.sync_instruments(today=dt.date(2021, 12, 1))
        store = MarketStore.open(bridge_path)
        with store.transaction():
            record_shares(store, [(SYM, AFTER.total_shares, AFTER.float_shares, "")], dt.date(2021, 12, 2))
        store.close()
        await services.sync_instruments(today=dt.date(2021, 12, 2))
        await _quotes(services)
    finally:
        await services.stop()


async def _quotes(services: Services) -> None:
    """Take the bridge's latest quotes of both stocks into the session's hub, as the stream would."""
    assert services.bridge is not None
    services.hub.publish(await services.bridge.quotes([SYM, "600133.SH"]))
