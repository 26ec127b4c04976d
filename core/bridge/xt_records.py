"""xtquant's records as it delivers them (vendor field names stay here) and their conversion to domain types."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from core.bridge.xt_tables import XT_MARKETS, XT_NO_EXPIRY, XT_SHARES_PER_LOT, XT_SUSPENDED_STATES
from core.domain.bars import Bar, Freq, Instrument
from core.domain.symbols import classify_board
from core.domain.ticks import Tick

_BEIJING = dt.timezone(dt.timedelta(hours=8))


class XtTick(TypedDict, total=False):
    """One entry of get_full_tick() / a subscribe_quote(period='tick') callback."""

    time: int  # ms since the epoch
    lastPrice: float
    open: float
    high: float
    low: float
    lastClose: float
    amount: float  # CNY
    volume: int  # lots
    pvolume: int  # shares
    stockStatus: int
    openInt: int  # for stocks: the security state, see xt_tables.XT_STOCK_STATES
    transactionNum: int
    askPrice: list[float]
    bidPrice: list[float]
    askVol: list[int]  # lots
    bidVol: list[int]  # lots


class XtInstrumentDetail(TypedDict, total=False):
    """get_instrument_detail(code) (the default, not `iscomplete`, field set)."""

    ExchangeID: str
    InstrumentID: str
    InstrumentName: str
    OpenDate: str  # YYYYMMDD
    ExpireDate: str
    PreClose: float
    UpStopPrice: float
    DownStopPrice: float
    PriceTick: float
    InstrumentStatus: int
    IsTrading: bool
    FloatVolume: float  # tradable shares (流通股本)
    TotalVolume: float  # share capital (总股本), shares


def xt_time(ms: int | float) -> dt.datetime:
    """xtquant's epoch milliseconds as naive Beijing time, the way every domain time is kept."""
    return dt.datetime.fromtimestamp(ms / 1000.0, _BEIJING).replace(tzinfo=None)


def _num(value: Any) -> float:
    try:
        x = float(value)
    except (TypeError, ValueError):
        return 0.0
    return x if math.isfinite(x) else 0.0  # vendor NaN/inf never reaches JSON


def _levels(values: Sequence[Any] | None, scale: float = 1.0) -> tuple[float, ...]:
    return tuple(_num(v) * scale for v in (values or ())[:5])


def tick_to_domain(code: str, data: Mapping[str, Any], limits: tuple[float, float] = (0.0, 0.0)) -> Tick:
    """A vendor tick as a domain Tick; `limits` are the day's (up, down) price limits when known."""
    shares = _num(data.get("pvolume"))
    volume = shares if shares > 0 else _num(data.get("volume")) * XT_SHARES_PER_LOT
    state = int(_num(data.get("openInt")))
    return Tick(
        symbol=code,
        time=xt_time(_num(data.get("time"))),
        last=_num(data.get("lastPrice")),
        open=_num(data.get("open")),
        high=_num(data.get("high")),
        low=_num(data.get("low")),
        pre_close=_num(data.get("lastClose")),
        volume=volume,
        amount=_num(data.get("amount")),
        bid_prices=_levels(data.get("bidPrice")),
        bid_volumes=_levels(data.get("bidVol"), XT_SHARES_PER_LOT),
        ask_prices=_levels(data.get("askPrice")),
        ask_volumes=_levels(data.get("askVol"), XT_SHARES_PER_LOT),
        limit_up=limits[0],
        limit_down=limits[1],
        suspended=state in XT_SUSPENDED_STATES,
    )


def bars_to_domain(code: str, freq: Freq, frame: Any) -> list[Bar]:
    """The DataFrame get_market_data_ex returns for one code, as domain bars in shares.

    QMT gives a day 241 one-minute bars, the first stamped 09:30 with the opening auction; QDesk's
    minute bars are 240, labelled by end from 09:31, so that print is folded into the 09:31 bar.
    """
    if frame is None or len(frame) == 0:
        return []
    bars: list[Bar] = []
    amounts = frame["amount"] if "amount" in frame else [None] * len(frame)
    rows = zip(
        frame["time"], frame["open"], frame["high"], frame["low"], frame["close"], frame["volume"], amounts, strict=True
    )
    for ms, o, h, lo, c, v, amount in rows:
        if not _num(c):
            continue  # a suspended day QMT filled with zeros
        t = xt_time(_num(ms))
        if freq is Freq.DAY:
            t = dt.datetime.combine(t.date(), dt.time())
        bar = Bar(
            code,
            freq,
            t,
            _num(o),
            _num(h),
            _num(lo),
            _num(c),
            _num(v) * XT_SHARES_PER_LOT,
            None if amount is None else _num(amount),
        )
        if freq is Freq.MINUTE and bars and bars[-1].time.time() == dt.time(9, 30) and bars[-1].time.date() == t.date():
            auction = bars.pop()
            bar = Bar(
                code,
                freq,
                t,
                auction.open,
                max(auction.high, bar.high),
                min(auction.low, bar.low),
                bar.close,
                auction.volume + bar.volume,
                (auction.amount or 0.0) + (bar.amount or 0.0),
            )
        bars.append(bar)
    return bars


def instrument_to_domain(code: str, data: Mapping[str, Any]) -> Instrument:
    """A get_instrument_detail record as a domain Instrument (names, listing dates, share capital)."""
    instrument_id, _, market = code.partition(".")
    exchange = XT_MARKETS.get(str(data.get("ExchangeID") or market))
    if exchange is None:
        raise ValueError(f"xtquant market {data.get('ExchangeID')!r} of {code} is not an A-share exchange")
    return Instrument(
        symbol=code,
        exchange=exchange.value,
        board=classify_board(str(data.get("InstrumentID") or instrument_id), exchange),
        name=str(data.get("InstrumentName") or ""),
        list_date=_xt_date(data.get("OpenDate")),
        delist_date=_xt_date(data.get("ExpireDate")),
        total_shares=_shares(data.get("TotalVolume")),
        float_shares=_shares(data.get("FloatVolume")),
    )


def _shares(value: Any) -> float | None:
    # QMT answers 0 or NaN for a share capital it does not know; neither is a real count.
    shares = _num(value)
    return shares if shares > 0 else None


def _xt_date(value: Any) -> dt.date | None:
    text = str(value or "").strip()
    if text in XT_NO_EXPIRY or len(text) != 8 or not text.isdigit():
        return None
    try:
        day = dt.date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        return None
    return None if day.year >= 2099 else day


def price_limits(detail: Mapping[str, Any] | None) -> tuple[float, float]:
    if not detail:
        return (0.0, 0.0)
    return (_num(detail.get("UpStopPrice")), _num(detail.get("DownStopPrice")))
