"""F10 facts over a real store: market cap, float market cap and turnover % from the share capital of the day."""

from __future__ import annotations

import csv
import datetime as dt
import math
from pathlib import Path

from core.data.importer import import_one
from core.domain.ticks import Tick
from core.market.instrument_info import instrument_facts
from core.storage import MarketStore
from core.storage.instrument_shares import record_shares

SYM = "600000.SH"
TOTAL, FLOAT = 29352178302.0, 28103763899.0


def _last_row(cn_data: Path) -> dict[str, str]:
    with (cn_data / "daily" / f"{SYM}.csv").open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))[-1]


def _store(cn_data: Path, tmp_path: Path) -> MarketStore:
    store = MarketStore.open(tmp_path / "market.sqlite")
    assert import_one(store, cn_data / "daily" / f"{SYM}.csv").ok
    return store


def test_market_cap_and_turnover_use_the_share_capital_held_on_the_figures_day(cn_data: Path, tmp_path: Path) -> None:
    store = _store(cn_data, tmp_path)
    try:
        with store.transaction():  # a placement after the last bar must not change that day's figures
            record_shares(
                store, [(SYM, TOTAL, FLOAT, "2020-01-02"), (SYM, 3e10, 2.9e10, "2023-02-01")], dt.date.today()
            )
        last = _last_row(cn_data)
        facts = instrument_facts(store, SYM)
        assert facts.as_of == last["date"] and facts.total_shares == TOTAL and facts.float_shares == FLOAT
        assert math.isclose(facts.market_cap, TOTAL * float(last["close"]))
        assert math.isclose(facts.float_market_cap, FLOAT * float(last["close"]))
        assert math.isclose(facts.turnover_pct, float(last["volume"]) / FLOAT * 100)
        # A live quote of a day after the placement: its price, its cumulative volume, the new capital.
        live = Tick(SYM, dt.datetime(2023, 2, 2, 10, 30), 7.50, 7.30, 7.95, 7.25, 7.28, 4.35e7, 3.2e8)
        now = instrument_facts(store, SYM, live)
        assert now.as_of == "2023-02-02" and now.float_shares == 2.9e10
        assert math.isclose(now.market_cap, 3e10 * 7.50) and math.isclose(now.turnover_pct, 4.35e7 / 2.9e10 * 100)
    finally:
        store.close()


def test_without_share_capital_the_figures_that_need_it_are_unknown(cn_data: Path, tmp_path: Path) -> None:
    store = _store(cn_data, tmp_path)
    try:
        facts = instrument_facts(store, SYM)
        assert facts.last > 0 and facts.volume > 0
        assert all(math.isnan(v) for v in (facts.market_cap, facts.float_market_cap, facts.turnover_pct))
        with store.transaction():  # the total known, the float not: only the total's figure appears
            record_shares(store, [(SYM, TOTAL, None, "")], dt.date(2023, 1, 3))
        partial = instrument_facts(store, SYM)
        assert math.isclose(partial.market_cap, TOTAL * partial.last) and math.isnan(partial.turnover_pct)
        bare = instrument_facts(store, "600036.SH")  # no bars, no capital
        assert math.isnan(bare.market_cap) and math.isnan(bare.turnover_pct) and bare.as_of == ""
    finally:
        store.close()
