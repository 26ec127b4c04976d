"""The docks that start tabbed behind others (data manager, training, research, backtest, signals), built on first
sight: their modules, panels and presenters load when the dock first shows or something needs its presenter."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

from app.lazy_docks import LazyDock

if TYPE_CHECKING:
    from app.backtest_presenter import BacktestPresenter
    from app.data_manager_presenter import DataManagerPresenter
    from app.events import GuiEvents
    from app.research_presenter import ResearchPresenter
    from app.services import Services
    from app.signals_presenter import SignalsPresenter
    from app.training_presenter import TrainingPresenter
    from core.settings import AppSettings
    from core.trading.service import TradingService
    from widgets.backtest_panel import BacktestPanel
    from widgets.chart.view_state import ChartMarker
    from widgets.data_manager_panel import DataManagerPanel
    from widgets.research_panel import ResearchPanel
    from widgets.signals_panel import SignalsPanel
    from widgets.training_panel import TrainingPanel

# The keys of the docks built on first sight; the others are built while the window opens.
LAZY_DOCKS = ("data_manager", "training", "research", "backtest", "signals")


def data_manager_dock(services: Services, settings: AppSettings) -> LazyDock[DataManagerPresenter]:
    def build() -> tuple[DataManagerPanel, DataManagerPresenter]:
        from app.data_manager_presenter import DataManagerPresenter
        from widgets.data_manager_panel import DataManagerPanel

        panel = DataManagerPanel()
        return panel, DataManagerPresenter(
            panel,
            services.data_store(),  # the user's own store even in demo mode: the demo data stays read-only
            bridge_url=settings.bridge_url,
            bridge_ca_file=settings.bridge_ca_file,
            jobs=services.jobs,
            demo=services.demo,
        )

    return LazyDock(build)


def training_dock(services: Services, events: GuiEvents) -> LazyDock[TrainingPresenter]:
    def build() -> tuple[TrainingPanel, TrainingPresenter]:
        from app.training_presenter import TrainingPresenter
        from widgets.training_panel import TrainingPanel

        panel = TrainingPanel()
        return panel, TrainingPresenter(
            panel,
            services.data_dir,
            store_file=services.store.path,
            registry=services.runs,
            jobs=services.jobs,
            events=events,
        )

    return LazyDock(build)


def research_dock(services: Services) -> LazyDock[ResearchPresenter]:
    def build() -> tuple[ResearchPanel, ResearchPresenter]:
        from app.factor_lab_presenter import FactorLabPresenter
        from app.research_presenter import ResearchPresenter
        from widgets.research_panel import ResearchPanel

        panel = ResearchPanel()
        presenter = ResearchPresenter(panel, services.data_dir, registry=services.runs, jobs=services.jobs)
        FactorLabPresenter(  # parented to its panel
            panel.factor_lab, services.data_dir, store_file=services.store.path, jobs=services.jobs
        )
        return panel, presenter

    return LazyDock(build)


def backtest_dock(
    services: Services, events: GuiEvents, open_chart: Callable[[str, list[ChartMarker]], None]
) -> LazyDock[BacktestPresenter]:
    def build() -> tuple[BacktestPanel, BacktestPresenter]:
        from app.backtest_presenter import BACKTEST_FORM_FILE, BacktestPresenter
        from widgets.backtest_panel import BacktestPanel

        panel = BacktestPanel()
        presenter = BacktestPresenter(
            panel,
            services.store.path,
            services.data_dir,
            runs=services.runs,
            jobs=services.jobs,
            events=events,
            form_file=None if services.scratch else services.session_dir / BACKTEST_FORM_FILE,
        )
        presenter.set_open_chart(open_chart)
        return panel, presenter

    return LazyDock(build)


def signals_dock(
    services: Services,
    events: GuiEvents,
    trading: TradingService,
    send: Callable[[Sequence[Any]], object],
) -> LazyDock[SignalsPresenter]:
    def build() -> tuple[SignalsPanel, SignalsPresenter]:
        from app.signals_presenter import SignalsPresenter
        from widgets.signals_panel import SignalsPanel

        panel = SignalsPanel()
        return panel, SignalsPresenter(
            panel,
            services.data_dir,
            services.store.path,
            services.names,
            trading,
            send,  # the Signals dock's own question is the one confirmation
            runs=services.runs,
            jobs=services.jobs,
            events=events,
        )

    return LazyDock(build)
