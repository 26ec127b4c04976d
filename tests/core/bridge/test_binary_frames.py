"""Binary tick frames: the same ticks as the JSON forms, ragged books and bad numbers, and a live bridge."""

from __future__ import annotations

import dataclasses
import json
import math
from typing import Any

import orjson
import pytest
from websockets.sync.client import connect

from core.bridge.binary_frames import MAGIC, binary_frame, decode_binary, encode_body, is_binary_frame
from core.bridge.protocol import encode_columns, ticks_from_columns
from core.bridge.service import BridgeSettings
from core.bridge.sources.sim import SimSource
from tests.core.bridge.conftest import TEST_SETTINGS, Running
from tests.core.bridge.test_column_frames import WANTED, _settings, _tick
from tests.core.bridge.test_stream import read_until, send


def test_binary_frames_carry_what_column_frames_carry_and_bad_numbers_become_zero() -> None:
    items = [(_tick("600000.SH", 10.0, 1), 7), (_tick("000001.SZ", math.nan, 2), 8), (_tick("430047.BJ", 1.0, 1), 9)]
    items[2] = (dataclasses.replace(items[2][0], bid_prices=(math.inf, 1.0), limit_up=-math.inf), 9)
    seq, stamp, decoded = decode_binary(binary_frame(41, 1733.25, encode_body(items)))
    assert (seq, stamp) == (41, 1733.25)
    assert decoded == ticks_from_columns(orjson.loads(encode_columns(items)))
    assert decoded[0] == (7, items[0][0])  # a clean tick comes back equal, time and all
    assert decoded[1][1].last == 0.0 and decoded[2][1].bid_prices == (0.0, 1.0) and decoded[2][1].limit_up == 0.0
    assert decoded[0][1].time == decoded[2][1].time  # one time, sent once, shared


def test_books_of_different_depths_keep_their_depth() -> None:
    base = _tick("600000.SH", 10.0, 1)
    items = [
        (dataclasses.replace(base, bid_prices=(10.0, math.nan), bid_volumes=(1.0, 2.0)), 1),  # NaN is a bad number
        (dataclasses.replace(base, symbol="600004.SH", bid_prices=(), bid_volumes=(), ask_prices=()), 2),
        (dataclasses.replace(base, symbol="600006.SH", ask_prices=(1.0, 2.0, 3.0, 4.0, 5.0)), 3),
    ]
    _, _, decoded = decode_binary(binary_frame(1, 0.0, encode_body(items)))
    ticks = [tick for _, tick in decoded]
    assert ticks[0].bid_prices == (10.0, 0.0) and ticks[0].bid_volumes == (1.0, 2.0)
    assert ticks[1].bid_prices == () and ticks[1].ask_prices == () and ticks[1].ask_volumes == base.ask_volumes
    assert ticks[2].ask_prices == (1.0, 2.0, 3.0, 4.0, 5.0) and ticks[2].bid_prices == base.bid_prices


def test_an_empty_batch_and_broken_frames() -> None:
    assert decode_binary(binary_frame(5, 2.0, encode_body([]))) == (5, 2.0, [])
    frame = binary_frame(1, 0.0, encode_body([(_tick("600000.SH", 10.0, 1), 1)]))
    assert is_binary_frame(frame) and not is_binary_frame('{"type":"ticks"}') and not is_binary_frame(b"{}")
    for broken in (frame[:-1], frame + b"\0", b"QDT2" + frame[4:], frame[:10]):
        with pytest.raises(ValueError, match="malformed binary frame"):
            decode_binary(broken)


def _raw_frames(running: Running, query: str, count: int) -> tuple[dict[str, Any], list[Any]]:
    with connect(running.ws_url + query, additional_headers={"Authorization": f"Bearer {running.token}"}) as ws:
        hello = json.loads(ws.recv(timeout=5))
        send(ws, "subscribe", WANTED)
        read_until(ws, "subscribed")
        return hello, [ws.recv(timeout=10) for _ in range(count)]


def test_a_client_that_asks_for_binary_gets_binary_tick_frames_in_sequence(bridge_factory) -> None:  # noqa: ANN001
    with bridge_factory(SimSource(40, interval=0.1)) as running:
        hello, frames = _raw_frames(running, "?frames=binary", 12)
    assert hello["frames"] == "binary"
    binary = [decode_binary(f) for f in frames if isinstance(f, bytes)]
    text = [json.loads(f) for f in frames if isinstance(f, str)]
    assert binary and all(t["type"] != "ticks" for t in text)  # ticks travel as binary, control frames as text
    seqs = sorted([seq for seq, _, _ in binary] + [t["seq"] for t in text])
    assert seqs == list(range(seqs[0], seqs[0] + len(seqs)))  # one sequence across both kinds
    pairs = [pair for _, _, batch in binary for pair in batch]
    assert {tick.symbol for _, tick in pairs} <= set(WANTED) and len(pairs) >= len(frames)
    numbers = [n for n, _ in pairs]
    assert numbers == sorted(numbers) and len(set(numbers)) == len(numbers)
    assert all(len(tick.bid_prices) == 5 and tick.limit_up > tick.limit_down > 0 for _, tick in pairs)


def test_binary_is_off_with_columns(bridge_factory) -> None:  # noqa: ANN001
    settings = BridgeSettings(**{**_settings(TEST_SETTINGS), "column_frames": False})
    with bridge_factory(SimSource(40, interval=0.1), settings=settings) as running:
        hello, frames = _raw_frames(running, "?frames=binary", 3)
    assert hello["frames"] == "rows"
    assert all(isinstance(f, str) and not f.encode().startswith(MAGIC) for f in frames)
