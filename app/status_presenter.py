"""StatusPresenter: the status bar's live texts — data source, data freshness, market session."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from PySide6.QtCore import QT_TRANSLATE_NOOP, QCoreApplication, QObject, QTimer

from app.services import Services
from core.quotes.session import MarketSession, beijing_now, market_session
from widgets.main_window import MainWindow

_INTERVAL_MS = 1000
_SESSION_TEXT = {
    MarketSession.PRE_OPEN: QT_TRANSLATE_NOOP("Status", "pre-open auction"),
    MarketSession.OPENING: QT_TRANSLATE_NOOP("Status", "opening"),
    MarketSession.CONTINUOUS: QT_TRANSLATE_NOOP("Status", "continuous trading"),
    MarketSession.LUNCH: QT_TRANSLATE_NOOP("Status", "lunch break"),
    MarketSession.CLOSING_AUCTION: QT_TRANSLATE_NOOP("Status", "closing auction"),
    MarketSession.CLOSED: QT_TRANSLATE_NOOP("Status", "market closed"),
}
STALE_AFTER_DAYS = 5  # calendar days; a long weekend or holiday week stays within it


def _tr(text: str) -> str:
    return QCoreApplication.translate("Status", text)


class StatusPresenter(QObject):
    """Refreshes the status texts once a second from the session's services."""

    def __init__(self, window: MainWindow, services: Services,
                 clock: Callable[[], dt.datetime] = beijing_now) -> None:
        super().__init__(window)
        self._window = window
        self._services = services
        self._clock = clock
        self._last_day = max((s.last_time[:10] for s in services.store.series()), default="")
        self._timer = QTimer(self)
        self._timer.setInterval(_INTERVAL_MS)
        self._timer.timeout.connect(self._on_timer_timeout)
        self._on_timer_timeout()
        self._timer.start()

    def _on_timer_timeout(self) -> None:
        now = self._clock()
        holidays: frozenset[dt.date] = frozenset()  # the exchange calendar knows only past days
        self._window.show_session(_tr(_SESSION_TEXT[market_session(now, holidays)]))
        feed = self._services.feed
        if feed is not None:
            day = feed.current_day or "…"
            rate = self._services.hub.ticks_per_second()
            self._window.show_mode(_tr("demo replay {day} · {rate:.0f} ticks/s").format(day=day, rate=rate))
        if not self._last_day:
            self._window.show_freshness(_tr("no data stored"), stale=True)
            return
        age = (now.date() - dt.date.fromisoformat(self._last_day)).days
        stale = not self._services.demo and age > STALE_AFTER_DAYS
        self._window.show_freshness(_tr("data to {day}").format(day=self._last_day), stale=stale)
