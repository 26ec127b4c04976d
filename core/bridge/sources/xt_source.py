"""QMT source: xtquant's xtdata on separate lanes of calls, with time limits, reconnect and re-subscription."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import logging
import threading
from collections.abc import Sequence
from typing import Any

from core.bridge.sources.base import Source, SourceDisconnected, SourceSink, SourceUnavailable, StuckCall
from core.bridge.xt_records import bars_to_domain, instrument_to_domain, price_limits, tick_to_domain
from core.bridge.xt_tables import XT_A_SHARE_SECTORS, XT_DIVIDEND_TYPES, XT_PERIODS, XT_TICK_PERIOD
from core.bridge.xt_worker import XtWorker
from core.domain.bars import Bar, Freq, Instrument
from core.domain.ticks import Tick
from core.util.backoff import Backoff
from core.util.tasks import cancel_and_wait

log = logging.getLogger(__name__)
CALL_TIMEOUT_S = 10.0  # quotes, subscriptions, instrument details: QMT answers these in milliseconds
HISTORY_TIMEOUT_S = 120.0  # a history download can take long; still, a hung QMT must not hang requests forever
PROBE_TIMEOUT_S = 5.0
WHOLE_QUOTE_ABOVE = 50  # symbols wanted; more go through one whole-market push


def load_xtdata() -> Any:
    """xtquant's xtdata module, or SourceUnavailable saying in one sentence why it cannot be used here."""
    try:
        from xtquant import xtdata
    except Exception:  # noqa: BLE001 (ImportError on Linux/macOS; DLL errors on a broken Windows install)
        raise SourceUnavailable(
            "xtquant cannot run on this machine: the QMT source needs Windows with the broker's QMT terminal "
            "and its xtquant package (use --source replay or --source sim elsewhere)"
        ) from None
    return xtdata


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


class XtQuantSource(Source):
    """Level-1 ticks, quotes, instruments and bars from QMT.

    xtquant is not thread-safe and calls back on its own thread, so calls go through lanes, each one
    thread in submission order, and callbacks only convert data and hand it to the event loop. The lanes
    keep slow work from holding up urgent work: `control` (connect, subscriptions, instrument details),
    `quotes` (snapshots), `history` (downloads, bars, the instrument list) and `probe` (the link check,
    which nothing else may starve). Every call has a time limit; one that runs past it is reported and
    isolated (see XtWorker). When the link to QMT drops, the source reconnects with backoff and
    subscribes again to everything wanted.
    """

    name = "xtquant"
    is_qmt = True

    def __init__(
        self,
        xtdata: Any | None = None,
        *,
        ip: str = "",
        port: int | None = None,
        backoff: Backoff | None = None,
        probe_interval: float = 2.0,
        sectors: Sequence[str] = XT_A_SHARE_SECTORS,
        call_timeout: float = CALL_TIMEOUT_S,
        history_timeout: float = HISTORY_TIMEOUT_S,
        probe_timeout: float = PROBE_TIMEOUT_S,
        whole_quote_above: int = WHOLE_QUOTE_ABOVE,
    ) -> None:
        super().__init__()
        self._xt: Any = xtdata
        self.ip, self.port = ip, port
        self.backoff = backoff or Backoff(initial=1.0, maximum=30.0)
        self.probe_interval = probe_interval
        self.sectors = tuple(sectors)
        self.whole_quote_above = whole_quote_above
        self.call_timeout, self.history_timeout, self.probe_timeout = call_timeout, history_timeout, probe_timeout
        self.control = XtWorker("xtquant-control", self._timed_out)
        self.quotes_lane = XtWorker("xtquant-quotes", self._timed_out)
        self.history = XtWorker("xtquant-history", self._timed_out)
        self.probe = XtWorker("xtquant-probe", self._timed_out)
        self.lanes = (self.control, self.quotes_lane, self.history, self.probe)
        self._connected = False
        self._ever_connected = False
        self._client_id: int | None = None  # written on the control lane only
        self._wanted: set[str] = set()
        self._seqs: dict[str, int] = {}  # control lane only: xtquant's subscription numbers
        self._whole: tuple[tuple[str, ...], int] | None = None  # control lane only: the whole-market push
        self._limits: dict[str, tuple[float, float]] = {}
        self._limits_day: dt.date | None = None
        self._instruments: tuple[dt.date, list[Instrument]] | None = None
        self._pending: list[Tick] = []
        self._pending_lock = threading.Lock()
        self._flush_scheduled = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._lost = asyncio.Event()
        self._watch_task: asyncio.Task[None] | None = None

    @property
    def connected(self) -> bool:
        return self._connected

    @property
    def _api(self) -> Any:
        """xtdata once `start` has loaded it; a call before that is a programming error, not a lost link."""
        if self._xt is None:
            raise RuntimeError("xtquant source used before start()")
        return self._xt

    def stuck_calls(self) -> list[StuckCall]:
        return [call for lane in self.lanes for call in lane.stuck()]

    def _timed_out(self, call: StuckCall) -> None:
        self.sink.call_timed_out(call.lane, call.call)

    # -- lifecycle -------------------------------------------------------------------------
    async def start(self, sink: SourceSink) -> None:
        await super().start(sink)
        if self._xt is None:
            self._xt = load_xtdata()
        self._loop = asyncio.get_running_loop()
        for lane in self.lanes:
            lane.start()
        # xtquant attaches the status watch to links made after the call, so it goes first: a link that
        # drops while (or right after) it connects is then heard of, not left to the next probe.
        try:
            await self.control.call(self._xt.watch_xtquant_status, self._on_status, timeout=self.call_timeout)
        except Exception as exc:  # noqa: BLE001 (older xtquant registers on a live link only; the probe still watches)
            log.warning("xtquant's status watch is not available (%s); the link probe watches QMT", _one_line(exc))
        try:
            await self.control.call(self._connect_now, False, timeout=self.call_timeout)
            self._set_connected(True)
        except Exception as exc:  # noqa: BLE001
            log.warning("QMT is not reachable yet (%s); retrying in the background", _one_line(exc))
        self._watch_task = self._loop.create_task(self._watch(), name="xtquant-watch")
        self._watch_task.add_done_callback(_log_failure)

    async def stop(self) -> None:
        if self._watch_task is not None:
            await cancel_and_wait(self._watch_task)
            self._watch_task = None
        if self._xt is not None and self.control.thread.is_alive():
            try:
                await self.control.call(self._sync_now, [], timeout=5.0)
            except Exception as exc:  # noqa: BLE001 (QMT may be gone already; nothing left to release)
                log.debug("xtquant: unsubscribe at stop failed: %s", _one_line(exc))
        for lane in self.lanes:
            await asyncio.to_thread(lane.stop)
        self._set_connected(False)

    def _set_connected(self, connected: bool) -> None:
        if connected != self._connected:
            self._connected = connected
            self.sink.connection_changed(connected)
        if connected:
            self._ever_connected = True

    # -- worker-thread side ----------------------------------------------------------------
    def _connect_now(self, again: bool) -> None:
        client = (self._api.reconnect if again else self._api.connect)(self.ip, self.port)
        self._client_id = id(client)
        self._seqs.clear()  # subscription numbers belong to the link they were made on
        self._whole = None

    def _probe_now(self) -> int | None:
        """The id of QMT's current link, None when there is none (probe lane)."""
        client = self._api.get_client()  # xtquant reconnects on its own here when it can
        if client is None or not client.is_connected():
            return None
        return id(client)

    def _adopt_client_now(self, client_id: int) -> None:
        self._client_id = client_id
        self._seqs.clear()  # subscription numbers belong to the link they were made on
        self._whole = None

    def _sync_now(self, wanted: list[str]) -> None:
        """Make QMT's subscriptions on this link match `wanted` (control lane): one whole-market push
        (subscribe_whole_quote) for a large set instead of thousands of subscribe_quote calls, one
        subscription per code for a small set. The new subscription is made before the old is dropped."""
        if len(wanted) > self.whole_quote_above:
            if self._whole is None or self._whole[0] != tuple(wanted):
                seq = self._xt.subscribe_whole_quote(list(wanted), callback=self._on_data)
                if not (isinstance(seq, int) and seq >= 0):
                    log.warning("xtquant refused the whole-market subscription (%r)", seq)
                    return
                self._drop_whole_now()
                self._whole = (tuple(wanted), seq)
            self._unsubscribe_now(list(self._seqs))
            return
        for code in wanted:
            if code in self._seqs:
                continue
            seq = self._api.subscribe_quote(
                code, period=XT_TICK_PERIOD, start_time="", end_time="", count=0, callback=self._on_data
            )
            if isinstance(seq, int) and seq >= 0:
                self._seqs[code] = seq
            else:
                log.warning("xtquant refused the subscription to %s (%r)", code, seq)
        self._drop_whole_now()
        keep = set(wanted)
        self._unsubscribe_now([c for c in self._seqs if c not in keep])

    def _drop_whole_now(self) -> None:
        if self._whole is not None:
            self._xt.unsubscribe_quote(self._whole[1])
            self._whole = None

    def _unsubscribe_now(self, symbols: list[str]) -> None:
        for code in symbols:
            seq = self._seqs.pop(code, None)
            if seq is not None:
                self._api.unsubscribe_quote(seq)

    def _details_now(self, symbols: list[str]) -> dict[str, dict[str, Any]]:
        return {code: d for code in symbols if (d := self._api.get_instrument_detail(code))}

    # -- xtquant's callback thread: convert and hand over, never call xtquant from here -----
    def _on_data(self, datas: dict[str, Any]) -> None:
        ticks = []
        for code, records in datas.items():
            for record in [records] if isinstance(records, dict) else records:
                ticks.append(tick_to_domain(code, record, self._limits.get(code, (0.0, 0.0))))
        with self._pending_lock:
            self._pending.extend(ticks)
            schedule, self._flush_scheduled = not self._flush_scheduled, True
        if schedule and self._loop is not None:
            # RuntimeError: the loop closed while QMT was still calling back during shutdown.
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._flush)

    def _on_status(self, info: dict[str, Any]) -> None:
        if str(info.get("status", "")).lower() != "connected" and self._loop is not None:
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(self._lost.set)

    def _flush(self) -> None:
        with self._pending_lock:
            batch, self._pending, self._flush_scheduled = self._pending, [], False
        # Late callbacks for symbols just unsubscribed are dropped here, not sent to nobody.
        batch = [t for t in batch if t.symbol in self._wanted]
        if batch:
            self.sink.ticks_arrived(batch)

    # -- the connection watch --------------------------------------------------------------
    async def _watch(self) -> None:
        attempt = 0
        while True:
            try:
                if self._connected:
                    await self._check_link()
                    continue
                await self.control.call(self._connect_now, self._ever_connected, timeout=self.call_timeout)
                was_connected = self._ever_connected
                self._set_connected(True)
                if was_connected:
                    await self._after_reconnect()
                else:
                    await self.control.call(self._sync_now, sorted(self._wanted), timeout=self.call_timeout)
                attempt = 0
            except asyncio.CancelledError:
                raise
            except Exception as exc:  # noqa: BLE001 (QMT fails in many ways; each means: try again later)
                # Also when the link drops again halfway through re-subscribing: start over, never give up.
                self._set_connected(False)
                delay = self.backoff.delay(attempt)
                attempt += 1
                log.info("QMT still unreachable (%s); next try in %.1f s", _one_line(exc), delay)
                await asyncio.sleep(delay)

    async def _check_link(self) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._lost.wait(), self.probe_interval)
        self._lost.clear()
        try:
            client_id = await self.probe.call(self._probe_now, timeout=self.probe_timeout)
        except Exception as exc:  # noqa: BLE001 (get_client raises when it cannot reconnect by itself)
            client_id = None
            log.debug("xtquant probe failed: %s", _one_line(exc))
        if client_id is None:
            log.warning("QMT connection lost; reconnecting")
            self._set_connected(False)
        elif client_id != self._client_id:
            await self.control.call(self._adopt_client_now, client_id, timeout=self.call_timeout)
            await self._after_reconnect()

    async def _after_reconnect(self) -> None:
        self._limits_day = None  # a new link may be a new trading day: refresh price limits
        await self._load_limits(sorted(self._wanted))
        await self.control.call(self._sync_now, sorted(self._wanted), timeout=self.call_timeout)
        self.reconnects += 1
        log.info("QMT reconnected; re-subscribed %d symbol(s)", len(self._wanted))
        self.sink.reconnected()

    # -- Source API --------------------------------------------------------------------------
    async def _load_limits(self, symbols: list[str]) -> None:
        today = dt.date.today()
        if self._limits_day != today:
            self._limits, self._limits_day = {}, today
        missing = [s for s in symbols if s not in self._limits]
        if missing and self._connected:
            # Instrument details come from QMT's local cache: quick each, but a whole market takes a while.
            limit = self.call_timeout + 0.01 * len(missing)
            details = await self.control.call(self._details_now, missing, timeout=limit)
            self._limits.update({code: price_limits(d) for code, d in details.items()})

    async def subscribe(self, symbols: Sequence[str]) -> None:
        # Wanted from now on whatever QMT says: the reconnect loop subscribes everything wanted.
        self._wanted.update(symbols)
        if self._connected:
            try:
                await self._load_limits(list(symbols))
                await self.control.call(self._sync_now, sorted(self._wanted), timeout=self.call_timeout)
            except Exception as exc:  # noqa: BLE001
                log.warning("xtquant: subscribing failed (%s); will subscribe after reconnecting", _one_line(exc))
                self._lost.set()

    async def unsubscribe(self, symbols: Sequence[str]) -> None:
        self._wanted.difference_update(symbols)
        if self._connected:
            try:
                await self.control.call(self._sync_now, sorted(self._wanted), timeout=self.call_timeout)
            except Exception as exc:  # noqa: BLE001 (late ticks of unwanted codes are filtered in _flush)
                log.warning("xtquant: unsubscribing failed: %s", _one_line(exc))
                self._lost.set()

    def _require_link(self) -> None:
        if not self._connected:
            raise SourceDisconnected("QMT is not connected; the bridge is reconnecting")

    async def quotes(self, symbols: Sequence[str]) -> dict[str, Tick]:
        self._require_link()
        data = await self.quotes_lane.call(self._api.get_full_tick, list(symbols), timeout=self.call_timeout) or {}
        return {
            code: tick_to_domain(code, rec, self._limits.get(code, (0.0, 0.0)))
            for code, rec in data.items()
            if code in symbols and rec
        }

    async def instruments(self) -> list[Instrument]:
        today = dt.date.today()
        if self._instruments is None or self._instruments[0] != today:
            self._require_link()
            listed = await self.history.call(self._instruments_now, timeout=self.history_timeout)
            self._instruments = (today, listed)
        return self._instruments[1]

    async def sector(self, name: str) -> list[str]:
        self._require_link()
        codes = await self.history.call(self._sector_now, name, timeout=self.history_timeout)
        if not codes:
            raise LookupError(f"QMT knows no sector {name[:32]!r} (or it is empty), e.g. 沪深A股, 上证A股")
        return codes

    def _sector_now(self, name: str) -> list[str]:
        with contextlib.suppress(Exception):  # a stale sector list still beats none
            self._xt.download_sector_data()
        return list(self._xt.get_stock_list_in_sector(name) or [])

    def _instruments_now(self) -> list[Instrument]:
        with contextlib.suppress(Exception):  # a stale sector list still beats none
            self._xt.download_sector_data()
        codes: dict[str, None] = {}
        for sector in self.sectors:
            codes.update(dict.fromkeys(self._api.get_stock_list_in_sector(sector) or []))
        out = []
        for code in codes:
            detail = self._api.get_instrument_detail(code)
            try:
                out.append(instrument_to_domain(code, detail or {}))
            except ValueError as exc:
                log.debug("xtquant: skipping %s: %s", code, exc)
        return out

    async def trading_calendar(self) -> list[dt.date]:
        self._require_link()
        days = await self.history.call(self._calendar_now, timeout=self.history_timeout)
        if not days:
            raise LookupError("QMT returned no trading calendar; download its holiday data in the terminal")
        return days

    def _calendar_now(self) -> list[dt.date]:
        with contextlib.suppress(Exception):  # the holiday list already held still serves
            self._xt.download_holiday_data()
        # SH and SZ share one calendar; xtquant extends it past today with weekdays minus its holidays.
        return [dt.datetime.strptime(str(d), "%Y%m%d").date() for d in self._api.get_trading_calendar("SH") or []]

    async def bars(
        self, symbol: str, freq: Freq, start: dt.datetime | None, end: dt.datetime | None, adjust: str
    ) -> list[Bar]:
        self._require_link()
        fmt = "%Y%m%d" if freq is Freq.DAY else "%Y%m%d%H%M%S"
        start_s = start.strftime(fmt) if start else ""
        end_s = end.strftime(fmt) if end else ""
        frame = await self.history.call(
            self._bars_now,
            symbol,
            XT_PERIODS[freq],
            start_s,
            end_s,
            XT_DIVIDEND_TYPES[adjust],
            timeout=self.history_timeout,
        )
        return bars_to_domain(symbol, freq, frame)

    def _bars_now(self, code: str, period: str, start: str, end: str, dividend: str) -> Any:
        self._api.download_history_data(code, period, start, end)
        data = self._api.get_market_data_ex([], [code], period, start, end, -1, dividend, False)
        return (data or {}).get(code)


def _log_failure(task: asyncio.Task[None]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.error("the QMT connection watch stopped by an error", exc_info=task.exception())
