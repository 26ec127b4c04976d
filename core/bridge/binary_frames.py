"""Binary tick frames: one little-endian array per Tick field per batch, for `/v1/stream?frames=binary`.

At full-market rates most of the stream's CPU went to writing and parsing decimal numbers (31 per tick).
Here numbers travel as raw float64, so the bridge copies arrays instead of formatting them and the
client reads them with one `tolist()` per field; only names and times are JSON.

Layout (a binary WebSocket message; control frames stay JSON text):

    magic  b"QDT1"          4 bytes
    seq    uint64           the connection's frame number, as in JSON frames
    time   float64          the bridge's receipt stamp, seconds since the epoch
    hlen   uint32           length of the header
    header JSON             {"count": N, "symbols": [N names], "times": [distinct ISO times], "depth": D}
    time_index  uint32[N]   index into `times`
    n           int64[N]    the bridge's ingest number of each tick
    last, open, high, low, pre_close, volume, amount, limit_up, limit_down   float64[N] each
    bid_prices, bid_volumes, ask_prices, ask_volumes                         float64[N*D] each, row-major
    suspended   uint8[N]

A book shallower than D levels is padded with NaN, which marks a missing level: numbers that are not
finite are written as 0.0 before padding, as the JSON forms do.
"""

from __future__ import annotations

import datetime as dt
import struct
from collections.abc import Sequence
from itertools import chain
from operator import attrgetter
from typing import Any

import numpy as np
import orjson

from core.domain.ticks import Tick

MAGIC = b"QDT1"
_HEAD = struct.Struct("<4sQd")  # magic, seq, server time: what each connection writes itself
_PREFIX = struct.Struct("<4sQdI")  # ... and the shared body's header length
_F8, _I8, _U4, _U1 = np.dtype("<f8"), np.dtype("<i8"), np.dtype("<u4"), np.dtype("u1")
_NUMBERS = ("last", "open", "high", "low", "pre_close", "volume", "amount", "limit_up", "limit_down")
_LADDERS = ("bid_prices", "bid_volumes", "ask_prices", "ask_volumes")
_GET = {name: attrgetter(name) for name in (*_NUMBERS, *_LADDERS, "symbol", "time", "suspended")}


def encode_body(items: Sequence[tuple[Tick, int]]) -> bytes:
    """Everything after the seq and time of a binary frame for (tick, n) pairs; shared by connections."""
    ticks = [t for t, _ in items]
    index: dict[dt.datetime, int] = {}
    time_index = [index.setdefault(t, len(index)) for t in map(_GET["time"], ticks)]
    ladders = [list(map(_GET[name], ticks)) for name in _LADDERS]
    lengths = [set(map(len, column)) for column in ladders]
    depth = max((max(found) for found in lengths if found), default=0)
    header = orjson.dumps(
        {
            "count": len(ticks),
            "symbols": list(map(_GET["symbol"], ticks)),
            "times": [t.isoformat() for t in index],
            "depth": depth,
        }
    )
    arrays: list[np.ndarray] = [np.array(time_index, _U4), np.array([n for _, n in items], _I8)]
    arrays += [_finite(np.array(list(map(_GET[name], ticks)), _F8)) for name in _NUMBERS]
    arrays += [_ladder(column, depth, found == {depth}) for column, found in zip(ladders, lengths, strict=True)]
    arrays.append(np.array(list(map(_GET["suspended"], ticks)), _U1))
    return len(header).to_bytes(4, "little") + header + b"".join(a.tobytes() for a in arrays)


def binary_frame(seq: int, stamp: float, body: bytes) -> bytes:
    return _HEAD.pack(MAGIC, seq, stamp) + body


def is_binary_frame(raw: str | bytes) -> bool:
    return isinstance(raw, bytes) and raw[:4] == MAGIC


def decode_binary(frame: bytes) -> tuple[int, float, list[tuple[int, Tick]]]:
    """(seq, server time, (n, Tick) pairs) of a binary frame; ValueError names what is wrong."""
    try:
        return _decoded(memoryview(frame))
    except (KeyError, TypeError, ValueError, IndexError, struct.error) as exc:
        raise ValueError(f"malformed binary frame: {exc!r}") from None


def _decoded(frame: memoryview) -> tuple[int, float, list[tuple[int, Tick]]]:
    magic, seq, stamp, hlen = _PREFIX.unpack_from(frame)
    if magic != MAGIC:
        raise ValueError("not a QDT1 frame")
    header: dict[str, Any] = orjson.loads(frame[_PREFIX.size : _PREFIX.size + hlen])
    count, depth, symbols = int(header["count"]), int(header["depth"]), header["symbols"]
    sizes: list[tuple[np.dtype[Any], int]] = [
        (_U4, count),
        (_I8, count),
        *[(_F8, count)] * len(_NUMBERS),
        *[(_F8, count * depth)] * 4,
        (_U1, count),
    ]
    expected = _PREFIX.size + hlen + sum(dtype.itemsize * n for dtype, n in sizes)
    if len(frame) != expected or len(symbols) != count:
        raise ValueError(f"{len(frame)} bytes for {count} ticks of depth {depth}, expected {expected}")
    offset, arrays = _PREFIX.size + hlen, list[np.ndarray]()
    for dtype, n in sizes:
        arrays.append(np.frombuffer(frame, dtype, n, offset))
        offset += dtype.itemsize * n
    times = [dt.datetime.fromisoformat(text) for text in header["times"]]
    numbers = [a.tolist() for a in arrays[2 : 2 + len(_NUMBERS)]]
    books = [_books(a, count, depth) for a in arrays[2 + len(_NUMBERS) : -1]]
    ticks = map(
        Tick,
        symbols,
        map(times.__getitem__, arrays[0].tolist()),
        *numbers[:7],
        *books,
        numbers[7],
        numbers[8],
        arrays[-1].astype(bool).tolist(),
    )
    return seq, stamp, list(zip(arrays[1].tolist(), ticks, strict=True))


def _finite(values: np.ndarray) -> np.ndarray:
    return values if np.isfinite(values).all() else np.where(np.isfinite(values), values, 0.0)


def _ladder(books: list[tuple[float, ...]], depth: int, uniform: bool) -> np.ndarray:
    if uniform or not books:
        return _finite(np.fromiter(chain.from_iterable(books), _F8, len(books) * depth))
    # Bad numbers become 0.0 first, so that NaN only ever marks a level the book does not have.
    padded = [(*(x if x - x == 0.0 else 0.0 for x in book), *(np.nan,) * (depth - len(book))) for book in books]
    return np.array(padded, _F8).reshape(len(books) * depth)


def _books(values: np.ndarray, count: int, depth: int) -> list[tuple[float, ...]]:
    if not depth:
        return [()] * count
    levels = values.reshape(count, depth).T.tolist()  # one list per level: zip builds the tuples directly
    if not np.isnan(values).any():
        return list(zip(*levels, strict=True))
    return [tuple(x for x in book if x == x) for book in zip(*levels, strict=True)]  # NaN pads a shallower book
