"""StatusPresenter: the status bar's live texts — data source, data freshness, market session."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable

from PySide6.QtCore import QCoreApplication, QObject, QTimer

from app.relay import EventRelay
from app.services import Services
from core.quotes.session import MarketSession, beijing_now, market_session
from widgets.main_window import MainWindow
from widgets.tr import QT_TRANSLATE_NOOP

_INTERVAL_MS = 1000
_SESSION_TEXT = {
    MarketSession.PRE_OPEN: QT_TRANSLATE_NOOP("Status", "pre-open auction"),
    MarketSession.OPENING: QT_TRANSLATE_NOOP("Status", "opening"),
    MarketSession.CONTINUOUS: QT_TRANSLATE_NOOP("Status", "continuous trading"),
    MarketSession.LUNCH: QT_TRANSLATE_NOOP("Status", "lunch break"),
    MarketSession.CLOSING_AUCTION: QT_TRANSLATE_NOOP("Status", "closing auction"),
    MarketSession.CLOSED: QT_TRANSLATE_NOOP("Status", "market closed"),
}
# By ConnectionState value: importing the bridge client here would load httpx before the window shows.
_BRIDGE_TEXT = {
    "idle": QT_TRANSLATE_NOOP("Status", "bridge not started"),
    "connecting": QT_TRANSLATE_NOOP("Status", "connecting to the bridge"),
    "connected": QT_TRANSLATE_NOOP("Status", "bridge connected"),
    "reconnecting": QT_TRANSLATE_NOOP("Status", "bridge lost, reconnecting"),
    "auth_failed": QT_TRANSLATE_NOOP("Status", "bridge refused the token"),
    "incompatible": QT_TRANSLATE_NOOP("Status", "bridge version not supported"),
    "closed": QT_TRANSLATE_NOOP("Status", "bridge closed"),
}
_FRESHNESS_EVERY = 30  # timer turns between re-reading the newest stored day
STALE_AFTER_DAYS = 5  # calendar days; a long weekend or holiday week stays within it


def _tr(text: str) -> str:
    return QCoreApplication.translate("Status", text)


class StatusPresenter(QObject):
    """Refreshes the status texts once a second from the session's services."""

    def __init__(self, window: MainWindow, services: Services, clock: Callable[[], dt.datetime] = beijing_now) -> None:
        super().__init__(window)
        self._window = window
        self._services = services
        self._clock = clock
        self._last_day = ""
        self._turns = 0
        self._shown_day: str | None = None
        # A new replay day shows at once rather than up to a second later (screenshots catch it too).
        self.relay = EventRelay("status-ticks", self)
        self.relay.subscribe(self._on_relay_ticks)
        remove = services.hub.add_listener(self.relay.core_handler())
        window.destroyed.connect(lambda *_: remove())
        self._timer = QTimer(self)
        window.sig_closed.connect(self._on_window_sig_closed)
        self._timer.setInterval(_INTERVAL_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._read_last_day()
        self._on_timer_timeout()
        self._timer.start()

    def _on_timer_timeout(self) -> None:
        now = self._clock()
        holidays: frozenset[dt.date] = frozenset()  # the exchange calendar knows only past days
        self._window.show_session(_tr(_SESSION_TEXT[market_session(now, holidays)]))
        self._show_source()
        self._turns += 1
        if self._turns % _FRESHNESS_EVERY == 0:
            self._read_last_day()  # an import or a bridge update may have added days
        if not self._last_day:
            self._window.show_freshness(_tr("no data stored"), stale=True)
            return
        age = (now.date() - dt.date.fromisoformat(self._last_day)).days
        stale = not self._services.demo and age > STALE_AFTER_DAYS
        self._window.show_freshness(_tr("data to {day}").format(day=self._last_day), stale=stale)

    def _show_source(self) -> None:
        feed, bridge = self._services.feed, self._services.bridge
        rate = self._services.hub.ticks_per_second()
        if feed is not None:
            self._shown_day = feed.current_day
            day = feed.current_day or "…"
            self._window.show_mode(_tr("demo replay {day} · {rate:.0f} ticks/s").format(day=day, rate=rate))
        elif bridge is not None:
            state = _tr(_BRIDGE_TEXT.get(bridge.state.value, bridge.state.value))
            if bridge.state.value == "connected":
                state = _tr("{state} · {rate:.0f} ticks/s").format(state=state, rate=rate)
            self._window.show_mode(state)

    def _on_relay_ticks(self, _ticks: object) -> None:
        feed = self._services.feed
        if feed is not None and feed.current_day != self._shown_day:
            self._show_source()

    def _read_last_day(self) -> None:
        try:
            self._last_day = max((s.last_time[:10] for s in self._services.store.series()), default="")
        except sqlite3.ProgrammingError:
            self._timer.stop()  # the session closed its store: the window is going away

    def _on_window_sig_closed(self) -> None:
        self._timer.stop()
