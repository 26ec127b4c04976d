"""Column tick frames: asked for by new clients, the same ticks as row frames, rows for everyone else."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import math
from typing import Any

import orjson
import pytest
from websockets.sync.client import connect

from core.bridge.client import BridgeClient, ConnectionState, TicksReceived
from core.bridge.protocol import COLUMNS, encode_columns, encode_tick, tick_from_wire, ticks_from_columns
from core.bridge.service import BridgeSettings
from core.bridge.sources.sim import SimSource, sim_symbols
from core.domain.ticks import Tick
from tests.core.bridge.conftest import TEST_SETTINGS, Running
from tests.core.bridge.test_stream import assert_contiguous, read_for, read_until, send

WANTED = sim_symbols(40)[:5]


def _tick(symbol: str, last: float, second: int) -> Tick:
    return Tick(
        symbol,
        dt.datetime(2021, 12, 1, 9, 30, second, 250_000 * (second % 2)),
        last,
        10.0,
        10.5,
        9.5,
        9.9,
        1e6,
        1e7,
        (10.0, 9.99),
        (100.0, 200.0),
        (10.01,),
        (300.0,),
        10.89,
        8.91,
        second % 3 == 0,
    )


def test_columns_carry_exactly_what_rows_carry_and_broken_numbers_become_zero() -> None:
    items = [(_tick("600000.SH", 10.0, 1), 7), (_tick("000001.SZ", math.nan, 2), 8), (_tick("430047.BJ", 1.0, 3), 9)]
    items[2] = (Tick(**{**_fields(items[2][0]), "bid_prices": (math.inf, 1.0)}), 9)
    columns = orjson.loads(encode_columns(items))
    assert list(columns) == [*COLUMNS, "n"] and {len(c) for c in columns.values()} == {3}
    decoded = ticks_from_columns(columns)
    # The same Ticks and numbers as the row encoding of each tick gives.
    from_rows = [orjson.loads(encode_tick(t, n)) for t, n in items]
    assert [tick for _, tick in decoded] == [tick_from_wire(r) for r in from_rows]
    assert [(tick.symbol, n) for n, tick in decoded] == [(r["symbol"], r["n"]) for r in from_rows]
    assert decoded[1][1].last == 0.0 and decoded[2][1].bid_prices == (0.0, 1.0)
    assert decoded[0] == (7, items[0][0])
    assert ticks_from_columns({}) == [] and ticks_from_columns(orjson.loads(encode_columns([]))) == []
    for broken in ({**columns, "n": [1]}, {k: v for k, v in columns.items() if k != "time"}, {"time": 5}):
        with pytest.raises(ValueError, match="malformed column frame"):
            ticks_from_columns(broken)


def _fields(tick: Tick) -> dict[str, Any]:
    return {name: getattr(tick, name) for name in Tick.__dataclass_fields__}


def _frames(running: Running, query: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    url = running.ws_url + query
    with connect(url, additional_headers={"Authorization": f"Bearer {running.token}"}) as ws:
        hello = json.loads(ws.recv(timeout=5))
        send(ws, "subscribe", WANTED)
        read_until(ws, "subscribed")
        return hello, read_for(ws, 1.5)


def test_a_client_that_asks_gets_columns_and_one_that_does_not_gets_rows(bridge_factory) -> None:  # noqa: ANN001
    with bridge_factory(SimSource(40, interval=0.1)) as running:
        row_hello, row_frames = _frames(running, "")
        col_hello, col_frames = _frames(running, "?frames=columns")
    assert row_hello["frames"] == "rows" and col_hello["frames"] == "columns"
    row_ticks = [f for f in row_frames if f["type"] == "ticks"]
    col_ticks = [f for f in col_frames if f["type"] == "ticks"]
    assert row_ticks and col_ticks
    assert all("ticks" in f and "columns" not in f for f in row_ticks)
    assert all("columns" in f and "ticks" not in f for f in col_ticks)
    assert_contiguous(col_frames, 2)
    decoded = [pair for f in col_ticks for pair in ticks_from_columns(f["columns"])]
    assert {tick.symbol for _, tick in decoded} == set(WANTED)
    numbers = [n for n, _ in decoded]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    for _, tick in decoded:  # whole ticks, with the fields the row form spells
        assert isinstance(tick, Tick) and len(tick.ask_volumes) == 5


def test_an_operator_can_turn_columns_off(bridge_factory) -> None:  # noqa: ANN001
    settings = BridgeSettings(**{**_settings(TEST_SETTINGS), "column_frames": False})
    with bridge_factory(SimSource(40, interval=0.1), settings=settings) as running:
        hello, frames = _frames(running, "?frames=columns")
    assert hello["frames"] == "rows"
    assert [f for f in frames if f["type"] == "ticks"] and all("ticks" in f for f in frames if f["type"] == "ticks")


def _settings(settings: BridgeSettings) -> dict[str, Any]:
    return {name: getattr(settings, name) for name in BridgeSettings.__dataclass_fields__}


@pytest.mark.parametrize("columns_on", [True, False])
def test_the_client_reads_either_form_into_the_same_ticks(bridge_factory, columns_on: bool) -> None:  # noqa: ANN001
    settings = BridgeSettings(**{**_settings(TEST_SETTINGS), "column_frames": columns_on})
    with bridge_factory(SimSource(40, interval=0.1), settings=settings) as running:

        async def scenario() -> list[Tick]:
            got: list[Tick] = []
            enough = asyncio.Event()

            def listen(event: Any) -> None:
                if isinstance(event, TicksReceived) and not event.reconciled:
                    got.extend(event.ticks)
                    if len(got) >= 20:
                        enough.set()

            client = BridgeClient(running.url, token=running.token)
            client.add_listener(listen)
            client.start()
            try:
                await client.wait_for_state(ConnectionState.CONNECTED, timeout=15)
                await client.subscribe(WANTED)
                await asyncio.wait_for(enough.wait(), 15)
                (connection,) = running.service.fanout.subscribers()
                assert connection.frames == ("binary" if columns_on else "rows")  # type: ignore[attr-defined]
            finally:
                await client.close()
            return got

        ticks = asyncio.run(scenario())
        latest = {t.symbol: t for t in ticks}
        assert set(latest) == set(WANTED)
        assert all(isinstance(t.bid_prices, tuple) and len(t.bid_prices) == 5 for t in ticks)
        assert all(t.limit_down < t.limit_up for t in ticks)
