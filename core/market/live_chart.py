"""LiveChart: keeps a loaded chart's right edge current from quote ticks (the last bar, its studies)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.domain.ticks import Tick
from core.market.aggregate import to_period
from core.market.chart_load import ChartLoaded
from core.market.live import MinuteBarBuilder, beijing_time, daily_bar
from core.market.series import PRICE_FIELDS, BarSeries
from core.market.studies import Studies, StudyConfig, compute_studies

# Stored bars re-aggregated per tick: more than the longest bucket (60 one-minute bars, a month of days).
_TAIL = {True: 240, False: 31}


@dataclass(frozen=True, slots=True)
class LiveUpdate:
    """The chart's newest bar after a tick, whether it opened a new bar, and each study's last value."""

    bar: BarSeries
    appended: bool
    studies: dict[str, dict[str, float]]


class LiveChart:
    """Turns ticks of one symbol into updates of the chart's last bar, in the chart's period and adjustment."""

    def __init__(self, loaded: ChartLoaded) -> None:
        self.symbol = loaded.request.symbol
        self.period = loaded.request.period
        self.config: StudyConfig = loaded.request.studies
        self.scale = loaded.live_scale
        self.base = loaded.base
        self.bars = loaded.bars
        self.daily_end = loaded.daily_end
        self._builder: MinuteBarBuilder | None = None

    def on_tick(self, tick: Tick, studies: bool = True) -> LiveUpdate | None:
        """The update this tick makes, or None when it is for another symbol or older than the chart.

        Studies are recomputed over the whole series (EMAs depend on all of it); callers that
        apply several ticks per repaint pass `studies=False` for all but the last.
        """
        if tick.symbol != self.symbol or tick.suspended or not tick.last > 0:
            return None
        if self.period.is_intraday and not self._live_for_minutes(tick):
            return None
        raw = self._minute_bar(tick) if self.period.is_intraday else daily_bar(tick)
        bar = self._adjusted(raw)
        if len(self.base) and bar.time[0] < self.base.time[-1]:
            return None  # a late tick for a finished bar
        self.base = self.base.upsert_last(bar)
        tail = self.base.slice(max(0, len(self.base) - _TAIL[self.period.is_intraday]))
        aggregated = to_period(tail, self.period)
        last = aggregated.slice(len(aggregated) - 1)
        # Week and month bars are labelled by their latest day, so a new day moves the label: the bar is
        # the same one while the chart's last label falls inside the newest group.
        same = len(self.bars) > 0 and (len(aggregated) < 2 or self.bars.time[-1] > aggregated.time[-2])
        appended = not same
        head = self.bars.slice(0, len(self.bars) - 1) if same else self.bars
        self.bars = head.upsert_last(last)
        values = self.last_values() if studies else {}
        return LiveUpdate(last, appended, values)

    def last_values(self) -> dict[str, dict[str, float]]:
        """Every study line's value at the newest bar."""
        lines = compute_studies(self.bars, self.config)
        return {group: {name: float(line[-1]) for name, line in named.items()} for group, named in lines.items()}

    def studies(self) -> Studies:
        return compute_studies(self.bars, self.config)

    def _live_for_minutes(self, tick: Tick) -> bool:
        """Whether `tick` can move a minute chart: not when the store holds its day as a finished daily bar
        without that day's minutes — then the tick is a day's summary (a last close, a replayed day), and
        drawing it would put a whole day's volume on one fake minute at the end of older minute history."""
        day = beijing_time(tick.time).astype("datetime64[D]")
        if self.daily_end is None or day > self.daily_end:
            return True  # a day the store has not closed: live trading
        return len(self.base) > 0 and self.base.time[-1].astype("datetime64[D]") == day

    def _minute_bar(self, tick: Tick) -> BarSeries:
        if self._builder is None:
            # What today traded before the first live tick is already in the stored minutes.
            day = beijing_time(tick.time).astype("datetime64[D]")
            today = self.base.time.astype("datetime64[D]") == day
            volume = float(np.nansum(self.base.volume[today]))
            amount = float(np.nansum(self.base.amount[today]))
            self._builder = MinuteBarBuilder(volume, amount)
        return self._builder.on_tick(tick)

    def _adjusted(self, raw: BarSeries) -> BarSeries:
        if self.scale == 1.0:
            return raw
        prices = {name: getattr(raw, name) * self.scale for name in PRICE_FIELDS}
        return raw.with_fields(**prices, factor=np.full(len(raw), self.scale))
