"""The synthetic load source: every symbol once per cadence, spread evenly, within its price limits."""

from __future__ import annotations

import asyncio
from collections import Counter

import pytest

from core.bridge.sources.sim import MAX_SYMBOLS, SimSource, sim_symbols
from core.domain.symbols import parse_symbol
from tests.core.bridge.test_replay import RecordingSink, VirtualClock


def test_symbols_are_real_codes_across_boards() -> None:
    symbols = sim_symbols(5500)
    assert len(set(symbols)) == 5500 and symbols[:3] == ["600000.SH", "300000.SZ", "603000.SH"]
    boards = Counter(parse_symbol(s).board.value for s in symbols)
    assert len(boards) >= 3
    with pytest.raises(ValueError, match="1 to"):
        sim_symbols(MAX_SYMBOLS + 1)


def test_each_symbol_ticks_once_per_interval_within_limits() -> None:
    clock = VirtualClock()
    source = SimSource(600, interval=3.0, clock=clock)
    sink = RecordingSink(clock)

    async def run() -> None:
        await source.start(sink)
        await source.subscribe(source.symbols)
        start = clock.now()
        while clock.now() - start < 9.0:  # three cadences of virtual time
            await asyncio.sleep(0)
        await source.stop()

    asyncio.run(run())
    counts = Counter(t.symbol for _, batch in sink.batches for t in batch)
    assert set(counts) == set(source.symbols) and set(counts.values()) <= {2, 3, 4}
    per_batch = [len(b) for _, b in sink.batches]
    assert max(per_batch) <= 3  # 200 ticks/s in 10 ms steps: spread, never a burst of the whole market
    for _, batch in sink.batches:
        for tick in batch:
            assert tick.limit_down <= tick.last <= tick.limit_up and tick.bid1 < tick.ask1
            assert tick.volume > 0 and tick.high >= tick.last >= tick.low


def test_limits_follow_the_board_as_the_rule_engine_says() -> None:
    import datetime as dt

    from core.rules.price_limits import limit_prices

    clock = VirtualClock()
    source = SimSource(60, interval=1.0, clock=clock)
    sink = RecordingSink(clock)

    async def run() -> None:
        await source.start(sink)
        await source.subscribe(source.symbols)
        start = clock.now()
        while clock.now() - start < 1.5:
            await asyncio.sleep(0)
        await source.stop()

    asyncio.run(run())
    ticks = {t.symbol: t for _, batch in sink.batches for t in batch}
    chinext = [t for s, t in ticks.items() if s.startswith("300")]
    main = [t for s, t in ticks.items() if s.startswith("600")]
    assert chinext and main
    for tick in chinext + main:
        assert (tick.limit_up, tick.limit_down) == limit_prices(tick.symbol, dt.date.today(), tick.pre_close)
    assert all(t.limit_up > t.pre_close * 1.15 for t in chinext)  # 20% on ChiNext, not the main board's 10%
    assert all(t.limit_up < t.pre_close * 1.11 for t in main)
