"""A faithful stand-in for xtquant's `xtdata` module (Windows-only binaries), driven by a market function.

It keeps xtdata's function names, signatures and return shapes (subscription numbers, `{code: [records]}`
callbacks, `{code: DataFrame}` bars, instrument-detail dicts with QMT's field names) and the link
semantics that matter to a bridge: `connect` raises while QMT is down, `get_client()` reconnects on its
own, a QMT restart forgets every subscription, and callbacks come on a thread of the fake's own.

What the market holds comes from `market(function_name, **arguments)`, the way httpx's MockTransport
takes a handler: tests pass a function built from real recorded data, nothing is patched.
"""

from __future__ import annotations

import datetime as dt
import itertools
import queue
import threading
from collections.abc import Callable
from typing import Any

# xtconstant's market suffixes (xtquant.xtconstant.MARKET_SHANGHAI / _SHENZHEN / _BEIJING).
MARKET_SHANGHAI = "SH"
MARKET_SHENZHEN = "SZ"
MARKET_BEIJING = "BJ"
# The sentence real xtdata.connect raises when no QMT terminal listens.
CONNECT_FAILED = "无法连接xtquant服务，请检查QMT-投研版或QMT-极简版是否开启"

_BEIJING = dt.timezone(dt.timedelta(hours=8))

Market = Callable[..., Any]
WHOLE = "whole"  # the period recorded for subscribe_whole_quote subscriptions


StatusCallback = Callable[[dict[str, Any]], None]


class FakeClient:
    """What `xtdata.get_client()` returns: one link to QMT, with the subscriptions made over it.

    Like xtconn's clients it carries the status watch that was registered when it was created (xtquant
    registers `watchxtquantstatus` on a new client before connecting it); a later watch does not reach it."""

    def __init__(self, qmt: FakeXtData, status_callback: StatusCallback | None = None) -> None:
        self._qmt = qmt
        self.status_callback = status_callback
        self.alive = True
        self.subscriptions: dict[int, tuple[str, str, Callable[[dict[str, Any]], None] | None]] = {}

    def is_connected(self) -> bool:
        return self.alive and self._qmt.qmt_running

    def shutdown(self) -> None:
        self.alive = False


class FakeXtData:
    """The `xtdata` API over a pretend QMT terminal. Test drivers: `push`, `stop_qmt`, `start_qmt`."""

    def __init__(self, market: Market, *, running: bool = True) -> None:
        self.market = market
        self.qmt_running = running
        self.calls: list[tuple[str, str]] = []  # (function, calling thread name)
        self.connect_attempts: list[float] = []  # monotonic times of connect/reconnect calls
        self._client: FakeClient | None = None
        self._last_spec: tuple[str, int | None] = ("", None)
        self._seq = itertools.count(1)
        self._status_callback: StatusCallback | None = None  # xtconn.status_callback: for links made later
        self._drop_on_connect = False
        self._lock = threading.Lock()
        # QMT's callbacks come on its own thread, never the caller's: one feed thread delivers them in order.
        self._feed: queue.SimpleQueue[Callable[[], None] | None] = queue.SimpleQueue()
        self._feed_thread = threading.Thread(target=self._deliver, name="xtquant-callbacks", daemon=True)
        self._feed_thread.start()

    # -- bookkeeping -------------------------------------------------------------------------
    def _record(self, name: str) -> None:
        with self._lock:
            self.calls.append((name, threading.current_thread().name))

    def _deliver(self) -> None:
        while (job := self._feed.get()) is not None:
            job()

    def close(self) -> None:
        """End the callback thread (test teardown)."""
        self._feed.put(None)
        self._feed_thread.join(5)

    # -- connection (xtdata.connect / reconnect / disconnect / get_client / watch_xtquant_status) ------
    def connect(self, ip: str = "", port: int | None = None, remember_if_success: bool = True) -> FakeClient:
        import time

        self._record("connect")
        self.connect_attempts.append(time.monotonic())
        if self._client is not None and self._client.is_connected():
            return self._client
        if not port and ip not in ("", "127.0.0.1", "localhost"):
            raise Exception("远程地址不支持仅输入IP")  # noqa: TRY002 (xtquant raises bare Exception)
        if not self.qmt_running:
            raise Exception(CONNECT_FAILED)  # noqa: TRY002
        self._client = FakeClient(self, self._status_callback)
        self._status(self._client, "connected")
        if remember_if_success:
            self._last_spec = (ip, port)
        if self._drop_on_connect:  # the terminal closes while the caller is still connecting
            self._drop_on_connect = False
            self.stop_qmt()
        return self._client

    def reconnect(self, ip: str = "", port: int | None = None, remember_if_success: bool = True) -> FakeClient:
        self._record("reconnect")
        if self._client is not None:
            self._client.shutdown()
            self._client = None
        return self.connect(ip, port, remember_if_success)

    def disconnect(self) -> None:
        self._record("disconnect")
        if self._client is not None:
            self._client.shutdown()
            self._client = None

    def get_client(self) -> FakeClient:
        self._record("get_client")
        if self._client is None or not self._client.is_connected():
            self._client = self.connect(*self._last_spec, remember_if_success=False)
        return self._client

    def watch_xtquant_status(self, callback: StatusCallback | None) -> None:
        """As xtquant does: keep the callback for every link made from now on (the current one is not
        watched); the callback gets `{"address": "ip:port", "status": "connected"|"disconnected"}` on
        xtquant's thread, and an exception it raises is printed and swallowed, never seen by the caller."""
        self._record("watch_xtquant_status")
        self._status_callback = _swallowing(callback) if callback else None

    # -- subscriptions -----------------------------------------------------------------------
    def subscribe_quote(
        self,
        stock_code: str,
        period: str = "1d",
        start_time: str = "",
        end_time: str = "",
        count: int = 0,
        callback: Callable[[dict[str, Any]], None] | None = None,
    ) -> int:
        self._record("subscribe_quote")
        client = self.get_client()
        if self.market("get_instrument_detail", stock_code=stock_code) is None:
            return -1  # QMT answers an unknown code with a failed subscription number
        seq = next(self._seq)
        client.subscriptions[seq] = (stock_code, period, callback)
        return seq

    def subscribe_whole_quote(
        self, code_list: list[str], callback: Callable[[dict[str, Any]], None] | None = None
    ) -> int:
        """Full-market push: `code_list` holds market codes ("SH", "SZ") or stock codes; the callback gets
        `{code: record}` for many codes at once (a dict per code, not a list as with subscribe_quote)."""
        self._record("subscribe_whole_quote")
        client = self.get_client()
        seq = next(self._seq)
        client.subscriptions[seq] = (",".join(code_list), WHOLE, callback)
        return seq

    def unsubscribe_quote(self, seq: int) -> None:
        self._record("unsubscribe_quote")
        self.get_client().subscriptions.pop(seq, None)

    def subscribed_codes(self) -> list[str]:
        """Codes subscribed one by one on the current link, one entry per subscription (test inspection)."""
        client = self._client
        if not client or not client.alive:
            return []
        return sorted(code for code, period, _ in client.subscriptions.values() if period != WHOLE)

    def whole_quote_codes(self) -> list[list[str]]:
        """The code lists of the whole-market subscriptions on the current link (test inspection)."""
        client = self._client
        if not client or not client.alive:
            return []
        return [codes.split(",") for codes, period, _ in client.subscriptions.values() if period == WHOLE]

    # -- queries -----------------------------------------------------------------------------
    def get_full_tick(self, code_list: list[str]) -> dict[str, dict[str, Any]]:
        self._record("get_full_tick")
        self.get_client()
        return {code: rec for code in code_list if (rec := self.market("get_full_tick", code=code))}

    def get_market_data_ex(
        self,
        field_list: list[str] = [],  # noqa: B006 - xtquant's own signature; never mutated here
        stock_list: list[str] = [],  # noqa: B006 - xtquant's own signature; never mutated here
        period: str = "1d",
        start_time: str = "",
        end_time: str = "",
        count: int = -1,
        dividend_type: str = "none",
        fill_data: bool = True,
    ) -> dict[str, Any]:
        self._record("get_market_data_ex")
        self.get_client()
        out = {}
        for code in stock_list:
            frame = self.market(
                "get_market_data_ex",
                code=code,
                period=period,
                start_time=start_time,
                end_time=end_time,
                count=count,
                dividend_type=dividend_type,
            )
            if frame is not None:
                out[code] = frame[field_list] if field_list else frame
        return out

    def download_history_data(
        self, stock_code: str, period: str, start_time: str = "", end_time: str = "", incrementally: bool | None = None
    ) -> None:
        self._record("download_history_data")
        self.get_client()
        # The market function decides how long QMT's download takes (a test may hold it on purpose).
        self.market(
            "download_history_data", stock_code=stock_code, period=period, start_time=start_time, end_time=end_time
        )

    def get_instrument_detail(self, stock_code: str, iscomplete: bool = False) -> dict[str, Any] | None:
        """The market's detail dict in xtquant's default field set: ExchangeID, InstrumentID, InstrumentName,
        OpenDate, ExpireDate, PreClose, UpStopPrice, DownStopPrice, PriceTick, FloatVolume and TotalVolume
        (shares, as floats; QMT gives 0 or NaN for a share capital it lacks); None for an unknown code."""
        self._record("get_instrument_detail")
        self.get_client()
        return self.market("get_instrument_detail", stock_code=stock_code)

    def download_sector_data(self) -> None:
        self._record("download_sector_data")
        self.get_client()

    def get_stock_list_in_sector(self, sector_name: str, real_timetag: int | str = -1) -> list[str]:
        self._record("get_stock_list_in_sector")
        self.get_client()
        return list(self.market("get_stock_list_in_sector", sector_name=sector_name) or [])

    def download_holiday_data(self) -> None:
        self._record("download_holiday_data")
        self.get_client()

    def get_holidays(self) -> list[str]:
        """Holidays as 8-digit date strings (QMT's client gives ints; xtdata turns them into str)."""
        self._record("get_holidays")
        self.get_client()
        return [str(d) for d in self.market("get_holidays") or []]

    def get_trading_calendar(self, market: str, start_time: str = "", end_time: str = "") -> list[str]:
        """xtdata's own extension: past trading days, then weekdays minus holidays through the last holiday year."""
        self._record("get_trading_calendar")
        if market not in ("SH", "SZ"):
            raise Exception("暂不支持除SH,SZ以外市场的交易日历")
        self.get_client()
        # QMT's client answers past days as millisecond timestamps (Beijing midnight), holidays as YYYYMMDD ints.
        stamps = self.market("get_trading_dates", market=market, start_time=start_time, end_time=end_time) or []
        days = [dt.datetime.fromtimestamp(ms / 1000, _BEIJING).replace(tzinfo=None) for ms in stamps]
        holidays = sorted(dt.datetime(h // 10000, h // 100 % 100, h % 100) for h in self.market("get_holidays") or [])
        if start_time:
            begin = dt.datetime.strptime(start_time, "%Y%m%d") - dt.timedelta(days=1)
            begin = max(begin, days[-1]) if days else begin
        elif days:
            begin = days[-1]
        else:
            raise Exception("交易日列表为空")
        if end_time:
            stop = dt.datetime.strptime(end_time, "%Y%m%d")
            if holidays and holidays[-1].year < stop.year:
                raise Exception(f"end_time({end_time}) 超出现有节假日数据({holidays[-1].year}1231)")
        else:
            stop = dt.datetime(holidays[-1].year, 12, 31) if holidays else days[-1]
        closed = set(holidays)
        day = begin + dt.timedelta(days=1)
        while day <= stop:
            if day not in closed and day.weekday() < 5:
                days.append(day)
            day += dt.timedelta(days=1)
        return [d.strftime("%Y%m%d") for d in days]

    # -- test drivers: what QMT does on its own ------------------------------------------------
    def push(self, records: dict[str, dict[str, Any]]) -> None:
        """QMT publishes new ticks: each subscribed code's callback gets `{code: [record]}` on the feed thread."""
        client = self._client
        if client is None or not client.is_connected():
            return
        for code, record in records.items():
            for sub_code, period, callback in list(client.subscriptions.values()):
                if sub_code == code and period == "tick" and callback is not None:
                    self._feed.put(lambda cb=callback, c=code, r=record: cb({c: [r]}))
        for codes, period, callback in list(client.subscriptions.values()):
            if period != WHOLE or callback is None:
                continue
            wanted = set(codes.split(","))
            batch = {c: r for c, r in records.items() if c in wanted or c.rsplit(".", 1)[-1] in wanted}
            if batch:
                self._feed.put(lambda cb=callback, b=batch: cb(b))

    def stop_qmt(self) -> None:
        """The terminal closes: the link drops, subscriptions are gone, a watched link reports it."""
        self.qmt_running = False
        client = self._client
        if client is not None and client.alive:
            client.shutdown()
            self._status(client, "disconnected")

    def drop_during_connect(self) -> None:
        """The next successful connect is followed at once by the terminal closing, before connect returns."""
        self._drop_on_connect = True

    def start_qmt(self) -> None:
        """The terminal is back; a client must connect again (and subscribe again) to hear from it."""
        self.qmt_running = True

    def _status(self, client: FakeClient, status: str) -> None:
        callback = client.status_callback
        if callback is not None:
            self._feed.put(lambda: callback({"address": "127.0.0.1:58610", "status": status}))

    def flush_callbacks(self, timeout: float = 5.0) -> None:
        """Wait until every callback queued so far has run."""
        done = threading.Event()
        self._feed.put(done.set)
        done.wait(timeout)


def _swallowing(callback: StatusCallback) -> StatusCallback:
    """xtdata's subscribe_callback_wrapper: the user's callback runs, its exception is printed, not raised."""

    def wrapped(info: dict[str, Any]) -> None:
        try:
            callback(info)
        except Exception:  # noqa: BLE001
            import traceback

            traceback.print_exc()

    return wrapped
