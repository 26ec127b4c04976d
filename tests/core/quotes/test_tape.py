"""Time and sales from real Level-1 snapshots: traded volume, tick-rule direction, new days and replays."""

from __future__ import annotations

import dataclasses
import datetime as dt

from core.domain.ticks import DOWN, FLAT, UP
from core.quotes.tape import TradeTape
from tests.core.trading.conftest import load_ticks

SYM = "600103.SH"


def test_the_tape_adds_up_to_the_day_volume_and_signs_trades_by_the_tick_rule() -> None:
    ticks = load_ticks(SYM)
    tape = TradeTape(SYM, size=10_000)
    trades = [t for t in (tape.update(tick) for tick in ticks) if t is not None]
    first_with_volume = next(t for t in ticks if t.volume > 0)
    assert sum(t.volume for t in trades) == ticks[-1].volume - ticks[0].volume
    assert first_with_volume.volume > 0 and len(trades) > 100
    assert list(tape.trades) == trades[::-1]  # newest first
    previous = None
    for trade in trades:  # the tick rule, checked against the prices themselves
        if previous is not None and trade.price > previous.price:
            assert trade.direction == UP
        elif previous is not None and trade.price < previous.price:
            assert trade.direction == DOWN
        elif previous is not None:
            assert trade.direction == previous.direction
        previous = trade
    assert {UP, DOWN} <= {t.direction for t in trades}


def test_a_new_day_or_a_replay_going_back_starts_a_new_tape_and_overtaken_snapshots_add_nothing() -> None:
    ticks = [t for t in load_ticks(SYM) if t.volume > 0][:50]
    tape = TradeTape(SYM)
    for tick in ticks:
        tape.update(tick)
    assert tape.trades
    overtaken = dataclasses.replace(ticks[-1], volume=ticks[-1].volume - 900)  # same second, older volume
    assert tape.update(overtaken) is None and tape.trades
    assert tape.update(ticks[10]) is None and not tape.trades  # back in time: the replay began again
    for tick in ticks[11:]:
        tape.update(tick)
    assert sum(t.volume for t in tape.trades) == ticks[-1].volume - ticks[10].volume
    tomorrow = dataclasses.replace(ticks[-1], time=ticks[-1].time + dt.timedelta(days=1))
    assert tape.update(tomorrow) is None and not tape.trades
    assert tape.update(dataclasses.replace(ticks[5], symbol="600000.SH")) is None


def test_before_the_first_price_change_of_the_day_a_trade_has_no_direction() -> None:
    tick = next(t for t in load_ticks(SYM) if t.volume > 0)
    tape = TradeTape(SYM)
    tape.update(tick)
    later = dataclasses.replace(tick, time=tick.time + dt.timedelta(seconds=3), volume=tick.volume + 500)
    trade = tape.update(later)
    assert trade is not None and (trade.volume, trade.direction) == (500, FLAT)
    up = tape.update(
        dataclasses.replace(
            later, time=later.time + dt.timedelta(seconds=3), volume=later.volume + 100, last=later.last + 0.01
        )
    )
    assert up is not None and up.direction == UP
