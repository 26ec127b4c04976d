"""The bridge's pre-trade checks read ST names and listing dates from what QMT reports of its instruments."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from core.bridge.xt_records import instrument_to_domain
from core.domain.bars import Instrument
from tests.core.bridge_trading.conftest import SYMBOL, Bridge, place, serve_bridge, wait_for
from tests.fakes.xttrader_fake import FakeQmt


def _reported(name: str, open_date: str) -> Instrument:
    """600103.SH as xtdata.get_instrument_detail describes it, through the bridge's own conversion."""
    detail = {"ExchangeID": "SH", "InstrumentID": "600103", "InstrumentName": name, "OpenDate": open_date}
    return instrument_to_domain(SYMBOL, detail)


def _quoted(bridge: Bridge) -> None:
    """Wait for the replay's first quote of the symbol: the checks judge prices against it."""
    with bridge.reader() as reader:
        wait_for(lambda: reader.get("/v1/quotes", params={"symbols": SYMBOL}).json()["count"])


def test_an_st_name_from_qmt_narrows_the_band_to_five_percent(tmp_path: Path, replay_dir: Path) -> None:
    async def listed() -> list[Instrument]:
        return [_reported("*ST青纸", "19970722")]

    with serve_bridge(FakeQmt(), tmp_path / "bridge", replay_dir, instruments=listed) as bridge, bridge.trader() as c:
        # The replay's day: main-board ST stocks traded at 5% then (10% since 2025-07-07).
        bridge.trading.clock = lambda: dt.datetime(2021, 12, 1, 10, 0)
        assert c.post("/v1/trading/arm", json={"reason": "test"}).status_code == 200
        _quoted(bridge)
        refused = place(c, "st1", price=2.96)  # previous close 2.72: inside 10% (2.99), outside 5% (2.86)
        assert refused.status_code == 422 and "above the limit up 2.86" in refused.json()["message"]
        assert place(c, "st2", price=2.85).status_code in (200, 201, 202)
        rules = [e for e in bridge.trading.audit.entries() if e.action == "rules_loaded"]
        assert rules and rules[-1].data["st"] == 1


def test_a_listing_date_from_qmt_gives_a_new_listing_its_free_day(tmp_path: Path, replay_dir: Path) -> None:
    listed_on = dt.date(2021, 12, 1)  # the replay's day

    async def listed() -> list[Instrument]:
        return [_reported("青山纸业", listed_on.strftime("%Y%m%d"))]

    with serve_bridge(FakeQmt(), tmp_path / "bridge", replay_dir, instruments=listed) as bridge, bridge.trader() as c:
        bridge.trading.clock = lambda: dt.datetime.combine(listed_on, dt.time(10, 0))
        assert c.post("/v1/trading/arm", json={"reason": "test"}).status_code == 200
        _quoted(bridge)
        assert place(c, "ipo1", price=3.10).status_code in (200, 201, 202)  # above 2.99: no limit on day one
        bridge.trading.clock = lambda: dt.datetime.combine(listed_on + dt.timedelta(days=14), dt.time(10, 0))
        later = place(c, "ipo2", price=3.10)  # weeks later the main board's 10% applies again
        assert later.status_code == 422 and "above the limit up 2.99" in later.json()["message"]
