"""The bridge's wire format: ticks, bars and instruments as JSON, and the /v1/stream messages."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Sequence
from dataclasses import replace
from operator import attrgetter
from typing import Any, TypeVar

import orjson

from core.bridge.binary_frames import binary_frame, encode_body
from core.domain.bars import Bar, Freq, Instrument
from core.domain.symbols import Board
from core.domain.ticks import Tick

_Body = TypeVar("_Body", str, bytes)  # a batch's encoding: JSON text or a binary frame body

_DUMPS = json.JSONEncoder(separators=(",", ":"), ensure_ascii=False, allow_nan=False).encode

STREAM_PROTOCOL = """\
WebSocket `/v1/stream` (same bearer token as HTTP, sent in the `Authorization` header).

Client to server, JSON text frames:
`{"op": "subscribe", "symbols": ["600000.SH", ...]}` and `{"op": "unsubscribe", "symbols": [...]}`;
`"symbols": ["*"]` subscribes every instrument the source lists, `{"op": "subscribe", "sector": "沪深A股"}`
a QMT sector's members. Symbols the source does not list are refused.

Server to client, JSON text frames. The first is `{"type": "hello", "api", "version", "instance",
"heartbeat_s", "source", "paused", "frames"}`. Every later frame carries `seq`, which increases by exactly one per
frame on a connection: a jump means frames were dropped for a slow reader and the client should
re-read `/v1/quotes` (a frame shed last shows as a jump with the next heartbeat at the latest).
Types: `subscribed` / `unsubscribed` (acks with `symbols`; `subscribed` also has `rejected`, the first 20
refusals, and `rejected_count`),
`ticks` (`time`: server receipt stamp, seconds since the epoch; `ticks`: list of Tick objects, each with
`n`, the bridge's ingest number, which only grows within one `instance`), `heartbeat`, `status`
(`paused`, `source_connected`) and `error` (`code`, `message`).

Column frames: a client that connects to `/v1/stream?frames=columns` gets `ticks` frames with `columns`
instead of `ticks`: one array per Tick field (and `n`), all of the same length, row i being tick i. The
hello's `frames` says which the connection gets (`rows` or `columns`); a bridge that predates column
frames omits it and sends rows, so clients read both.
"""


def _time_text(value: dt.datetime) -> str:
    return value.isoformat()


def tick_to_wire(tick: Tick, n: int = 0) -> dict[str, Any]:
    """The JSON object of one tick; `n` is the bridge's ingest number for it."""
    return {
        "symbol": tick.symbol,
        "time": _time_text(tick.time),
        "last": tick.last,
        "open": tick.open,
        "high": tick.high,
        "low": tick.low,
        "pre_close": tick.pre_close,
        "volume": tick.volume,
        "amount": tick.amount,
        "bid_prices": tick.bid_prices,
        "bid_volumes": tick.bid_volumes,
        "ask_prices": tick.ask_prices,
        "ask_volumes": tick.ask_volumes,
        "limit_up": tick.limit_up,
        "limit_down": tick.limit_down,
        "suspended": tick.suspended,
        "n": n,
    }


def _finite(tick: Tick) -> Tick:
    """`tick` with every nan/inf number set to 0.0: a broken vendor field must not break the frame."""

    def ok(x: float) -> float:
        return x if x - x == 0.0 else 0.0

    changes: dict[str, Any] = {f: ok(getattr(tick, f)) for f in _NUMBER_FIELDS}
    changes.update({f: tuple(ok(x) for x in getattr(tick, f)) for f in _LADDER_FIELDS})
    return replace(tick, **changes)


_NUMBER_FIELDS = ("last", "open", "high", "low", "pre_close", "volume", "amount", "limit_up", "limit_down")
_LADDER_FIELDS = ("bid_prices", "bid_volumes", "ask_prices", "ask_volumes")


def encode_tick(tick: Tick, n: int) -> str:
    """`tick_to_wire` as compact JSON text, encoded once and shared by every connection.

    orjson serializes the dataclass directly (its fields are the wire fields, in order), several
    times faster than building a dict for json: this runs for every tick at full-market rates.
    """
    t = tick
    total = (
        t.last
        + t.open
        + t.high
        + t.low
        + t.pre_close
        + t.volume
        + t.amount
        + t.limit_up
        + t.limit_down
        + sum(t.bid_prices)
        + sum(t.bid_volumes)
        + sum(t.ask_prices)
        + sum(t.ask_volumes)
    )
    if total - total != 0.0:  # only nan and inf fail this (inf - inf is nan); orjson would write null
        tick = _finite(tick)
    return f'{orjson.dumps(tick)[:-1].decode()},"n":{int(n)}}}'


# Column frames: one array per field per batch, smaller to send and faster to write and parse than rows.
COLUMNS = ("symbol", "time", *_NUMBER_FIELDS[:7], *_LADDER_FIELDS, "limit_up", "limit_down", "suspended")
_GETTERS = {name: attrgetter(name) for name in COLUMNS}


def encode_columns(items: Sequence[tuple[Tick, int]]) -> str:
    """The `columns` object of a column frame for (tick, n) pairs, as compact JSON text."""
    ticks = [t for t, _ in items]
    columns: dict[str, list[Any]] = {name: list(map(_GETTERS[name], ticks)) for name in COLUMNS}
    columns["n"] = [n for _, n in items]
    text = orjson.dumps(columns)
    # orjson writes nan and inf as null, and no column holds None: one scan of the text finds a bad number
    # faster than summing every column first. The rare frame that has one is cleaned and written again.
    if b"null" in text:
        text = orjson.dumps(_finite_columns(columns))
    return text.decode()


def _finite_columns(columns: dict[str, list[Any]]) -> dict[str, list[Any]]:
    out = dict(columns)
    for name in _NUMBER_FIELDS:
        out[name] = [x if x - x == 0.0 else 0.0 for x in columns[name]]
    for name in _LADDER_FIELDS:
        out[name] = [tuple(x if x - x == 0.0 else 0.0 for x in ladder) for ladder in columns[name]]
    return out


def ticks_from_columns(columns: dict[str, Any]) -> list[tuple[int, Tick]]:
    """The (n, Tick) pairs of a column frame, built column by column: each distinct time is parsed once."""
    if not isinstance(columns, dict) or not columns:
        return []
    try:
        return _decoded(columns)
    except (KeyError, TypeError, ValueError) as exc:  # ValueError: zip(strict=True), fromisoformat
        raise ValueError(f"malformed column frame: {exc!r}") from None


def _decoded(columns: dict[str, Any]) -> list[tuple[int, Tick]]:
    times = columns["time"]
    parsed = {text: dt.datetime.fromisoformat(text) for text in set(times)}
    ticks = map(
        Tick,
        columns["symbol"],
        map(parsed.__getitem__, times),
        *(columns[name] for name in _NUMBER_FIELDS[:7]),
        *(map(tuple, columns[name]) for name in _LADDER_FIELDS),
        columns["limit_up"],
        columns["limit_down"],
        columns["suspended"],
    )
    return list(zip(columns["n"], ticks, strict=True))


def ticks_from_rows(rows: list[dict[str, Any]]) -> list[tuple[int, Tick]]:
    """The (n, Tick) pairs of a row frame."""
    return [(row.get("n", 0), tick_from_wire(row)) for row in rows]


class TickBatch:
    """The ticks of one source batch that one connection gets, written as rows or columns on demand.

    `shared` is one dict per source batch: each tick is encoded at most once, and connections that get
    the same ticks (the common case: everyone on the whole market) share one column encoding.
    """

    __slots__ = ("_items", "_picked", "_shared")

    def __init__(self, items: list[tuple[Tick, int]], picked: list[int], shared: dict[Any, Any]) -> None:
        self._items, self._picked, self._shared = items, picked, shared

    def __len__(self) -> int:
        return len(self._picked)

    def rows(self) -> str:
        shared, items = self._shared, self._items
        out = []
        for i in self._picked:
            text = shared.get(i)
            if text is None:
                text = shared[i] = encode_tick(*items[i])
            out.append(text)
        return ",".join(out)

    def binary(self) -> bytes:
        return self._encoded("binary", encode_body)

    def columns(self) -> str:
        return self._encoded("columns", encode_columns)

    def _encoded(self, form: str, encode: Callable[[list[tuple[Tick, int]]], _Body]) -> _Body:
        """The picked ticks in one form, encoded once and shared by every connection that picked the same."""
        key = (form, *self._picked) if len(self._picked) < len(self._items) else (form,)
        body = self._shared.get(key)
        if body is None:
            items = self._items
            body = self._shared[key] = encode([items[i] for i in self._picked])
        return body


def decode(raw: str | bytes) -> Any:
    """A JSON frame or body, parsed fast."""
    return orjson.loads(raw)


def tick_from_wire(data: dict[str, Any]) -> Tick:
    # Positional, in field order: this runs for every tick a client receives.
    get = data.get
    return Tick(
        data["symbol"],
        dt.datetime.fromisoformat(data["time"]),
        data["last"],
        data["open"],
        data["high"],
        data["low"],
        data["pre_close"],
        data["volume"],
        data["amount"],
        tuple(get("bid_prices", ())),
        tuple(get("bid_volumes", ())),
        tuple(get("ask_prices", ())),
        tuple(get("ask_volumes", ())),
        get("limit_up", 0.0),
        get("limit_down", 0.0),
        get("suspended", False),
    )


def bar_to_wire(bar: Bar) -> dict[str, Any]:
    return {
        "time": _time_text(bar.time),
        "open": bar.open,
        "high": bar.high,
        "low": bar.low,
        "close": bar.close,
        "volume": bar.volume,
        "amount": bar.amount,
        "factor": bar.factor,
    }


def bar_from_wire(symbol: str, period: str, data: dict[str, Any]) -> Bar:
    return Bar(
        symbol=symbol,
        freq=Freq(period),
        time=dt.datetime.fromisoformat(data["time"]),
        open=data["open"],
        high=data["high"],
        low=data["low"],
        close=data["close"],
        volume=data["volume"],
        amount=data.get("amount"),
        factor=data.get("factor"),
    )


def instrument_to_wire(inst: Instrument) -> dict[str, Any]:
    return {
        "symbol": inst.symbol,
        "exchange": inst.exchange,
        "board": inst.board.value,
        "name": inst.name,
        "list_date": inst.list_date.isoformat() if inst.list_date else None,
        "delist_date": inst.delist_date.isoformat() if inst.delist_date else None,
        "total_shares": inst.total_shares,
        "float_shares": inst.float_shares,
    }


def instrument_from_wire(data: dict[str, Any]) -> Instrument:
    def day(text: str | None) -> dt.date | None:
        return dt.date.fromisoformat(text) if text else None

    def shares(value: Any) -> float | None:
        # An older bridge sends no share capital; a non-positive one is as unknown as none.
        return float(value) if isinstance(value, int | float) and value > 0 else None

    return Instrument(
        symbol=data["symbol"],
        exchange=data["exchange"],
        board=Board(data["board"]),
        name=data.get("name", ""),
        list_date=day(data.get("list_date")),
        delist_date=day(data.get("delist_date")),
        total_shares=shares(data.get("total_shares")),
        float_shares=shares(data.get("float_shares")),
    )


# -- /v1/stream frames ------------------------------------------------------------------------
def hello_frame(
    *, instance: str, heartbeat_s: float, source: str, paused: bool, version: str, api: str, frames: str = "rows"
) -> str:
    return _DUMPS(
        {
            "type": "hello",
            "api": api,
            "version": version,
            "instance": instance,
            "heartbeat_s": heartbeat_s,
            "source": source,
            "paused": paused,
            "frames": frames,
        }
    )


def ticks_frame(seq: int, stamp: float, batch: TickBatch, form: str = "rows") -> str | bytes:
    """A `ticks` frame in the connection's form: rows, columns (JSON text) or binary (bytes)."""
    # Ticks arrive pre-encoded: the frame is assembled around shared text, not by re-encoding each tick.
    if form == "binary":
        return binary_frame(seq, stamp, batch.binary())
    if form == "columns":
        return f'{{"type":"ticks","seq":{seq},"time":{stamp!r},"columns":{batch.columns()}}}'
    return f'{{"type":"ticks","seq":{seq},"time":{stamp!r},"ticks":[{batch.rows()}]}}'


def control_frame(kind: str, seq: int, **fields: Any) -> str:
    return _DUMPS({"type": kind, "seq": seq, **fields})


def encode(obj: Any) -> str:
    return _DUMPS(obj)
