"""The composition root: every dock and its presenter, built from one session's typed services.

Presenters get the services they use as constructor arguments and never reach into each other;
facts (run registered, job started, account changed) cross as core events on the session's bus.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QModelIndex
from PySide6.QtWidgets import QApplication, QWidget

from app.chart_drawings import CHART_DRAWINGS_FILE
from app.chart_presenter import ChartPresenter
from app.chart_state import CHART_STATE_FILE, load_chart_state
from app.desk_docks import backtest_dock, data_manager_dock, research_dock, signals_dock, training_dock
from app.events import GuiEvents
from app.lazy_docks import LazyDock
from app.monitor_presenter import MonitorPresenter
from app.monitor_sampling import MonitorSources
from app.order_book_presenter import OrderBookPresenter
from app.orders_presenter import LiveBrokerStarter, OrdersPresenter, open_trading_service, release_time
from app.quote_board_presenter import QuoteBoardPresenter
from app.resources import theme_file
from app.services import Services
from app.settings_presenter import SettingsPresenter
from core.data.exchange_calendar import SessionCalendar
from core.domain.orders import Side
from core.events import AccountChanged, EventBus, InstrumentsUpdated
from core.monitor.sources import registry_model_source
from core.secrets import BRIDGE_TOKEN_SERVICE, SecretStore
from core.settings import AppSettings
from core.trading.service import TradingService
from widgets.chart.view_state import ChartMarker
from widgets.chart_panel import ChartPanel
from widgets.docking import raise_dock_of
from widgets.main_window import MainWindow
from widgets.monitor_panel import MonitorPanel
from widgets.order_book_panel import OrderBookPanel
from widgets.orders_panel import OrdersPanel
from widgets.quote_board_panel import QuoteBoardPanel

if TYPE_CHECKING:
    from app.backtest_presenter import BacktestPresenter
    from app.daily_schedule import DailySchedule
    from app.data_manager_presenter import DataManagerPresenter
    from app.instrument_info_presenter import InstrumentInfoPresenter
    from app.research_presenter import ResearchPresenter
    from app.signals_presenter import SignalsPresenter
    from app.training_presenter import TrainingPresenter


@dataclass
class Desk:
    """The window's docks and the presenters that keep them wired, by name; built by `build_desk`.

    Docks that start tabbed behind others are `LazyDock`s: their presenter properties build them when asked.
    """

    events: GuiEvents
    trading: TradingService
    board: QuoteBoardPresenter
    chart: ChartPresenter
    orders: OrdersPresenter
    monitor: MonitorPresenter
    board_panel: QuoteBoardPanel
    chart_panel: ChartPanel
    book: OrderBookPresenter
    panels: dict[str, QWidget]  # dock key -> what the dock holds (a shell for a lazy dock), for app/docks.py
    lazy: dict[str, LazyDock[Any]] = field(default_factory=dict)  # dock key -> the dock built on first sight
    live_starter: LiveBrokerStarter | None = None  # holds the task that follows the live account
    settings: SettingsPresenter | None = None
    schedule: DailySchedule | None = None  # the daily routine after the close, when Settings choose a run

    def panel(self, key: str) -> QWidget:
        """The panel of dock `key`, built now if it is a lazy dock not yet shown."""
        return self.lazy[key].panel if key in self.lazy else self.panels[key]

    @property
    def data_manager(self) -> DataManagerPresenter:
        return self._lazy_presenter("data_manager")

    @property
    def training(self) -> TrainingPresenter:
        return self._lazy_presenter("training")

    @property
    def research(self) -> ResearchPresenter:
        return self._lazy_presenter("research")

    @property
    def backtest(self) -> BacktestPresenter:
        return self._lazy_presenter("backtest")

    @property
    def signals(self) -> SignalsPresenter:
        return self._lazy_presenter("signals")

    def _lazy_presenter(self, key: str) -> Any:
        return self.lazy[key].get()


def build_desk(services: Services, lang: str, settings: AppSettings) -> Desk:
    """Build the docks on screen at launch, and shells for the others (built on first sight, see app/desk_docks)."""
    events = GuiEvents(services.events)
    board_panel = QuoteBoardPanel()
    board_panel.model.chinese_units = lang == "zh_CN"
    board_panel.model.set_red_up(settings.red_up)
    board = QuoteBoardPresenter(
        board_panel,
        services.hub,
        services.watchlists,
        services.names,
        subscribe=services.subscribe,
        float_shares=services.float_shares,
    )
    chart_panel, chart = build_chart(services, settings)
    board.set_open_chart(lambda symbol: _open_chart(chart_panel, chart, symbol))
    events.on(InstrumentsUpdated, lambda _event: board.refresh_names())
    events.on(InstrumentsUpdated, lambda _event: chart.keyboard_wizard.forget_index())

    trading = open_trading_service(services, settings)
    publish_account_changes(trading, services.events)
    orders_panel = OrdersPanel()
    orders = OrdersPresenter(
        orders_panel,
        trading,
        services.hub,
        services.names,
        release_at=release_time(settings),
        is_session=lambda day: SessionCalendar.of_store(services.store).is_session(day),
    )
    live_starter = LiveBrokerStarter(trading, orders) if trading.mode == "live" else None
    chart.keyboard_wizard.set_commands(ticket_commands(chart, orders, orders_panel))
    book_panel = OrderBookPanel()
    book_panel.set_red_up(settings.red_up)
    book = OrderBookPresenter(
        book_panel,
        services.hub,
        services.names,
        lambda symbol, side, price: open_ticket(orders, orders_panel, symbol, side, price),
        limits=trading.broker.rules.limits,
        subscribe=services.subscribe,
    )
    follow_chart(book, chart)
    follow_board_selection(book, board_panel)

    # The monitor is built at once though it starts behind the Orders tab: it samples, alerts and keeps the
    # session's log from the first second, whether or not anyone looks.
    monitor_panel = MonitorPanel()
    monitor = MonitorPresenter(
        monitor_panel,
        MonitorSources(
            data_dir=services.data_dir,
            store=services.store,
            hub=services.hub,
            demo=services.demo,
            live_feed=services.feed is not None,
            bridge=services.bridge,
            repaints=lambda: int(board_panel.model.flushes),
            jobs=services.jobs,
            model=registry_model_source(services.data_dir),
            trading=trading,
        ),
        events=events,
    )
    signals = signals_dock(services, events, trading, orders.send_confirmed)
    lazy: dict[str, LazyDock[Any]] = {
        "data_manager": data_manager_dock(services, settings),
        "training": training_dock(services, events),
        "research": research_dock(services),
        "backtest": backtest_dock(
            services, events, lambda symbol, markers: _open_chart(chart_panel, chart, symbol, markers)
        ),
        "signals": signals,
    }
    panels: dict[str, QWidget] = {
        "quote_board": board_panel,
        "chart": chart_panel,
        **{key: dock.shell for key, dock in lazy.items()},
        "orders": orders_panel,
        "monitor": monitor_panel,
        "order_book": book_panel,
    }
    desk = Desk(
        events, trading, board, chart, orders, monitor, board_panel, chart_panel, book, panels, lazy, live_starter
    )
    if settings.routine_run:  # the routine's modules load only when Settings choose a run for it
        from app.daily_schedule import RoutineLine, build_daily_schedule, show_schedule_in

        bridge = services.bridge is not None and not services.demo
        desk.schedule = build_daily_schedule(
            services.data_dir, settings, trading, monitor.notifier.announce, services.jobs, bridge, parent=orders
        )
        if desk.schedule is not None:
            schedule, line = desk.schedule, RoutineLine(desk.schedule)  # followed from launch, shown when built
            signals.when_built(lambda presenter: show_schedule_in(presenter.panel, schedule, line))
            schedule.start()
    return desk


def follow_lazy_docks(window: MainWindow, desk: Desk) -> None:
    """Each dock built on first sight follows its dock in `window`: shown (a tab raised, the View menu, a saved
    layout), it builds its panel and presenter."""
    for key, dock in desk.lazy.items():
        dock.follow(window.dock(key))


def publish_account_changes(trading: TradingService, bus: EventBus) -> None:
    """Announce every order event and armed-state change of the account as one `AccountChanged` fact."""

    def changed(_event: object) -> None:
        bus.publish(AccountChanged(trading.mode))

    trading.broker.add_listener(changed)
    trading.add_state_listener(changed)


def ticket_commands(
    chart: ChartPresenter, orders: OrdersPresenter, orders_panel: OrdersPanel
) -> dict[str, tuple[str, Callable[[], object]]]:
    """The terminals' typed codes: 21 opens a buy ticket, 23 a sell ticket, for the charted symbol."""

    def ticket(side: Side) -> Callable[[], object]:
        return lambda: open_ticket(orders, orders_panel, chart.symbol, side)

    return {
        "21": (QCoreApplication.translate("Docks", "Buy ticket"), ticket(Side.BUY)),
        "23": (QCoreApplication.translate("Docks", "Sell ticket"), ticket(Side.SELL)),
    }


def open_ticket(
    orders: OrdersPresenter, orders_panel: OrdersPanel, symbol: str, side: Side, price: float = 0.0
) -> None:
    """Fill the order ticket (no price: the best quote of that side) and bring it up, the quantity to type."""
    orders.prefill(symbol, side, price)
    raise_dock_of(orders_panel)
    orders_panel.ticket.qty_spin.setFocus()
    orders_panel.ticket.qty_spin.selectAll()


def follow_chart(book: OrderBookPresenter, chart: ChartPresenter) -> None:
    """The order book shows the charted symbol: the one charted now, then each one the chart loads."""
    if chart.symbol:
        book.set_symbol(chart.symbol)
    chart.sig_loaded.connect(lambda request: book.set_symbol(request.symbol))


def follow_board_selection(book: OrderBookPresenter, board: QuoteBoardPanel) -> None:
    """A row selected on the quote board (click, arrow keys) shows its book before any chart loads."""

    def selected(current: QModelIndex, _previous: QModelIndex) -> None:
        if current.isValid():
            book.set_symbol(board.symbol_at(current.row()))

    board.table.selectionModel().currentRowChanged.connect(selected)


def build_chart(services: Services, settings: AppSettings) -> tuple[ChartPanel, ChartPresenter]:
    """The chart dock as the last session left it (symbol, period, adjustment, indicators), else on the first
    stock of the current watchlist, so it never starts blank."""
    chart = ChartPanel(theme="light" if settings.theme == "light" else "dark")
    chart.set_red_up(settings.red_up)
    # A scratch session (a screenshot) neither reads nor leaves a chart state behind.
    state_file = None if services.scratch else services.session_dir / CHART_STATE_FILE
    state = load_chart_state(state_file) if state_file is not None else None
    if state is not None:
        chart.set_overlays(state.overlays)
        chart.set_sub_panes(state.sub_panes)
    try:
        period, adjust = (state.period, state.adjust) if state is not None else ("1d", "forward")
        presenter = _chart_presenter(chart, services, period, adjust, state_file)
    except ValueError:  # a period or adjustment this version no longer has
        presenter = _chart_presenter(chart, services, "1d", "forward", state_file)
    indices = services.store.index_symbols()
    first = next((s for s in services.watchlists.symbols() if s not in indices), None)
    stored = {s.symbol for s in services.store.series()}
    if state is not None and state.symbol in stored:
        presenter.open_symbol(state.symbol)
    elif first is not None:
        presenter.open_symbol(first)
    return chart, presenter


def _chart_presenter(
    chart: ChartPanel, services: Services, period: str, adjust: str, state_file: Path | None
) -> ChartPresenter:
    return ChartPresenter(
        chart,
        services.store.path,
        services.hub,
        services.names,
        replay=services.demo,
        period=period,
        adjust=adjust,
        subscribe=services.subscribe,
        jobs=services.jobs,
        state_file=state_file,
        drawings_file=state_file.with_name(CHART_DRAWINGS_FILE) if state_file is not None else None,
    )


def _open_chart(
    chart: ChartPanel, presenter: ChartPresenter, symbol: str, markers: list[ChartMarker] | None = None
) -> None:
    if markers is not None:
        presenter.set_markers(symbol, markers)  # the backtest's trades of that symbol
    if presenter.open_symbol(symbol):
        chart.reveal()


def apply_theme(app: QApplication, theme: str) -> None:
    path = theme_file(theme)
    app.setStyleSheet(path.read_text(encoding="utf-8") if path.exists() else "")


def connect_instrument_info(window: MainWindow, desk: Desk, services: Services, lang: str) -> None:
    """F10: the instrument info of the charted symbol; its presenter is made at the first F10, not at launch."""
    made: list[InstrumentInfoPresenter] = []

    def open_info() -> None:
        if not made:
            from app.instrument_info_presenter import InstrumentInfoPresenter

            made.append(
                InstrumentInfoPresenter(
                    window, services.store, services.hub, lambda: desk.chart.symbol, chinese_units=lang == "zh_CN"
                )
            )
        made[0].open()

    window.sig_instrument_info_requested.connect(open_info)


def connect_settings(window: MainWindow, desk: Desk, settings: AppSettings, settings_path: Path) -> None:
    """File → Settings: edits saved to `settings_path`; colours, theme and risk limits apply at once."""
    board, chart = desk.board_panel, desk.chart_panel

    def applied(new: AppSettings) -> None:
        board.model.set_red_up(new.red_up)
        book_panel = desk.panels.get("order_book")
        if isinstance(book_panel, OrderBookPanel):
            book_panel.set_red_up(new.red_up)
        chart.set_red_up(new.red_up)
        chart.set_theme("light" if new.theme == "light" else "dark")
        app = QApplication.instance()
        if isinstance(app, QApplication):
            apply_theme(app, new.theme)

    secrets = SecretStore(BRIDGE_TOKEN_SERVICE)
    presenter = SettingsPresenter(window, settings, settings_path, secrets, applied, trading=desk.trading)
    desk.settings = presenter
    window.sig_settings_requested.connect(lambda: presenter.open(window))
