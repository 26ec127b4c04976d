"""Monitor: samples its collectors on their own intervals, keeps the metric store, evaluates the alert rules."""

from __future__ import annotations

import logging
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

from core.monitor.alerts import AlertEngine, AlertNotice
from core.monitor.samples import MetricStore, Value

log = logging.getLogger(__name__)
HISTORY = 200  # notices kept for the in-app list


class Collector(Protocol):
    def collect(self) -> Mapping[str, Value]: ...


@dataclass(frozen=True, slots=True)
class Published:
    """What the last tick saw, replaced whole each tick so other threads (a /metrics scrape) read it safely."""

    numbers: dict[str, float] = field(default_factory=dict)
    firing: tuple[tuple[str, str], ...] = ()  # (rule key, severity)
    suppressed: int = 0


@dataclass
class _Slot:
    name: str
    collector: Collector
    every_s: float
    due: float = 0.0
    keys: set[str] = field(default_factory=set)
    failing: bool = False


class Monitor:
    """Not thread-safe: call `tick` from one thread (the app calls it from a GUI timer)."""

    def __init__(self, engine: AlertEngine, clock: Callable[[], float] = time.time, capacity: int = 300) -> None:
        self.engine = engine
        self.store = MetricStore(capacity)
        self.history: deque[AlertNotice] = deque(maxlen=HISTORY)
        self._clock = clock
        self._slots: list[_Slot] = []
        self.published = Published()

    def add(self, name: str, collector: Collector, every_s: float = 1.0) -> None:
        """Sample `collector` every `every_s` seconds (slow ones, like the store's freshness, less often)."""
        self._slots.append(_Slot(name, collector, every_s))

    def sample_soon(self, name: str) -> None:
        """Sample collector `name` on the next tick, whatever its interval (its source just changed)."""
        for slot in self._slots:
            if slot.name == name:
                slot.due = 0.0

    def tick(self) -> list[AlertNotice]:
        """Sample the collectors that are due, then evaluate the rules; returns the new notices."""
        now = self._clock()
        for slot in self._slots:
            if now >= slot.due:
                slot.due = now + slot.every_s
                self._sample(slot, now)
        numbers = self.store.numbers()
        notices = self.engine.evaluate(numbers)
        self.history.extend(notices)
        firing = tuple((a.rule.key, a.rule.severity.value) for a in self.engine.active())
        self.published = Published(numbers, firing, self.engine.suppressed)
        return notices

    def _sample(self, slot: _Slot, now: float) -> None:
        try:
            values = slot.collector.collect()
        except Exception:  # noqa: BLE001 (one broken source must not blind the others)
            # Logged with its traceback once per outage, not once a second.
            if not slot.failing:
                log.exception("monitor collector %s failed; its metrics show n/a until it recovers", slot.name)
            slot.failing = True
            self.store.mark_unavailable(slot.keys)
            return
        if slot.failing:
            log.info("monitor collector %s recovered", slot.name)
            slot.failing = False
        slot.keys.update(values)
        self.store.record_all(values, now)
