"""1-minute bars built from replayed ticks as they go out, labelled by bar end as the exchanges do."""

from __future__ import annotations

import datetime as dt

from core.domain.bars import Bar, Freq
from core.domain.ticks import Tick

_FIRST = dt.time(9, 31)
_MORNING_END = dt.time(11, 30)
_AFTERNOON_START = dt.time(13, 0)
_CLOSE = dt.time(15, 0)
_MINUTE = dt.timedelta(minutes=1)


def minute_label(t: dt.datetime) -> dt.datetime:
    """End label of the 1-minute bar holding a trade at `t`: [09:30, 09:31) -> 09:31 and so on.

    The opening auction prints (09:25) fold into the first bar; prints stamped in the lunch break or
    after the close (late reports) fold into the bar before them.
    """
    label = t.replace(second=0, microsecond=0) + _MINUTE
    clock = label.time()
    if clock < _FIRST:
        return dt.datetime.combine(t.date(), _FIRST)
    if _MORNING_END < clock <= _AFTERNOON_START:
        return dt.datetime.combine(t.date(), _MORNING_END)
    if clock > _CLOSE:
        return dt.datetime.combine(t.date(), _CLOSE)
    return label


class IntradayBars:
    """Per symbol: the session's minute bars so far, from cumulative-volume ticks or from given bars."""

    def __init__(self) -> None:
        self._bars: dict[str, list[list]] = {}  # symbol -> [[label, o, h, l, c, volume, amount], ...]
        self._cum: dict[str, tuple[float, float]] = {}

    def reset(self) -> None:
        self._bars.clear()
        self._cum.clear()

    def add_tick(self, tick: Tick) -> None:
        prev_volume, prev_amount = self._cum.get(tick.symbol, (0.0, 0.0))
        if tick.volume < prev_volume:  # cumulative counters restarted: a new session for this symbol
            self._bars.pop(tick.symbol, None)
            prev_volume, prev_amount = 0.0, 0.0
        self._cum[tick.symbol] = (tick.volume, tick.amount)
        traded = tick.volume - prev_volume
        if traded <= 0 or tick.last <= 0:
            return  # a quote change without a trade does not move a bar
        self._merge(
            tick.symbol,
            minute_label(tick.time),
            tick.last,
            tick.last,
            tick.last,
            tick.last,
            traded,
            tick.amount - prev_amount,
        )

    def add_bar(self, bar: Bar) -> None:
        """A recorded minute bar as it is (its label already marks its end)."""
        self._merge(bar.symbol, bar.time, bar.open, bar.high, bar.low, bar.close, bar.volume, bar.amount or 0.0)

    def _merge(
        self, symbol: str, label: dt.datetime, o: float, h: float, lo: float, c: float, volume: float, amount: float
    ) -> None:
        bars = self._bars.setdefault(symbol, [])
        if bars and bars[-1][0] == label:
            last = bars[-1]
            last[2] = max(last[2], h)
            last[3] = min(last[3], lo)
            last[4] = c
            last[5] += volume
            last[6] += amount
        elif bars and label < bars[-1][0]:
            bars.clear()  # time went back: a looping replay started the day again
            bars.append([label, o, h, lo, c, volume, amount])
        else:
            bars.append([label, o, h, lo, c, volume, amount])

    def bars(self, symbol: str, start: dt.datetime | None, end: dt.datetime | None) -> list[Bar]:
        out = []
        for label, o, h, lo, c, v, amount in self._bars.get(symbol, ()):
            if (start is None or label >= start) and (end is None or label <= end):
                out.append(Bar(symbol, Freq.MINUTE, label, o, h, lo, c, v, amount))
        return out


def day_bar(tick: Tick) -> Bar | None:
    """The day so far as one daily bar, from the latest cumulative tick; None before the first trade."""
    if tick.volume <= 0 or tick.last <= 0:
        return None
    day = dt.datetime.combine(tick.time.date(), dt.time())
    return Bar(
        tick.symbol,
        Freq.DAY,
        day,
        tick.open or tick.last,
        tick.high or tick.last,
        tick.low or tick.last,
        tick.last,
        tick.volume,
        tick.amount or None,
    )
