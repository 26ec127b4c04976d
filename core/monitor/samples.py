"""Metric samples with timestamps in bounded ring buffers, plus the latest text facts (states, dates)."""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import Enum

# A collector reports a number, a short text (a state, a date) or None: "not available", shown as n/a.
Value = float | int | str | None
DEFAULT_CAPACITY = 300  # five minutes of one-second samples: enough for a sparkline, small in memory


class Level(str, Enum):
    """How a metric looks in the panel; derived from the alert rules that watch it."""

    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    UNKNOWN = "n/a"


@dataclass(frozen=True, slots=True)
class Sample:
    time: float  # seconds on the sampler's clock
    value: float


class MetricSeries:
    """The last `capacity` numeric samples of one metric; old ones fall off the front."""

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._samples: deque[Sample] = deque(maxlen=capacity)

    def add(self, time: float, value: float) -> None:
        self._samples.append(Sample(time, float(value)))

    def __len__(self) -> int:
        return len(self._samples)

    @property
    def latest(self) -> Sample | None:
        return self._samples[-1] if self._samples else None

    def values(self) -> list[float]:
        return [s.value for s in self._samples]

    def since(self, time: float) -> list[Sample]:
        return [s for s in self._samples if s.time >= time]


class MetricStore:
    """Every metric's current value and, for numbers, its recent history.

    A metric reported as None is "not available": its current value becomes None, its history is
    kept (a sparkline still shows what was), and nothing pretends a zero.
    """

    def __init__(self, capacity: int = DEFAULT_CAPACITY) -> None:
        self._capacity = capacity
        self._series: dict[str, MetricSeries] = {}
        self._current: dict[str, Value] = {}

    def record(self, name: str, value: Value, time: float) -> None:
        if isinstance(value, bool):
            value = int(value)
        self._current[name] = value
        if isinstance(value, (int, float)):
            series = self._series.get(name)
            if series is None:
                series = self._series[name] = MetricSeries(self._capacity)
            series.add(time, float(value))

    def record_all(self, values: Mapping[str, Value], time: float) -> None:
        for name, value in values.items():
            self.record(name, value, time)

    def mark_unavailable(self, names: Iterable[str]) -> None:
        for name in names:
            self._current[name] = None

    def get(self, name: str) -> Value:
        return self._current.get(name)

    def number(self, name: str) -> float | None:
        value = self._current.get(name)
        return float(value) if isinstance(value, (int, float)) else None

    def history(self, name: str) -> list[float]:
        series = self._series.get(name)
        return series.values() if series is not None else []

    def series(self, name: str) -> MetricSeries | None:
        return self._series.get(name)

    def current(self) -> dict[str, Value]:
        """A copy of every metric's current value."""
        return dict(self._current)

    def numbers(self) -> dict[str, float]:
        """Current numeric values only (what rules and Prometheus look at)."""
        return {k: float(v) for k, v in self._current.items() if isinstance(v, (int, float))}
