"""Docks tabbed behind others are built on first sight: not at launch, once when shown, as a saved layout shows
them, and with what happened before they were built."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from PySide6.QtCore import QTimer
from pytestqt.qtbot import QtBot

from app.composition import Desk, build_desk, follow_lazy_docks
from app.desk_docks import LAZY_DOCKS
from app.layout_store import LayoutStore
from app.main_window_presenter import create_main_window
from app.services import Services, open_services
from core.settings import AppSettings
from widgets.backtest_panel import BacktestPanel
from widgets.dock_shell import DockShell
from widgets.main_window import MainWindow
from widgets.research_panel import ResearchPanel
from widgets.signals_panel import SignalsPanel
from widgets.training_panel import TrainingPanel


@contextmanager
def _session(
    qtbot: QtBot, data_dir: Path, layout: LayoutStore | None = None
) -> Iterator[tuple[Desk, MainWindow, Services]]:
    """A window on the demo store, wired as the desktop wires it, shown."""
    services: Services = open_services(data_dir, demo=True)
    desk = build_desk(services, "en", AppSettings())
    window = create_main_window(data_dir=data_dir, demo=True, layout_store=layout, panels=desk.panels).window
    follow_lazy_docks(window, desk)
    qtbot.addWidget(window)
    try:
        window.show()
        qtbot.waitExposed(window)
        _turns(qtbot, 3)  # what a dock shown now would be built by
        yield desk, window, services
    finally:
        window.close()
        desk.monitor.shutdown()
        services.close()


def _turns(qtbot: QtBot, n: int) -> None:
    """Let the event loop go round `n` times (a queued call per turn), so deferred builds have had their chance."""
    turns: list[int] = []
    for turn in range(n):
        QTimer.singleShot(0, lambda: turns.append(turn))  # noqa: B023 (called before the loop moves on)
        qtbot.waitUntil(lambda: len(turns) == turn + 1, timeout=2000)  # noqa: B023


def _built(desk: Desk) -> set[str]:
    return {key for key, dock in desk.lazy.items() if dock.built}


def test_docks_tabbed_behind_others_are_not_built_at_launch(qtbot: QtBot, tmp_path: Path) -> None:
    with _session(qtbot, tmp_path) as (desk, window, _services):
        assert set(desk.lazy) == set(LAZY_DOCKS)
        assert _built(desk) == set()
        for key in LAZY_DOCKS:
            shell = window.panel(key)
            assert isinstance(shell, DockShell) and shell.content is None
        # What the first paint shows is there: the board, the chart, the book and the orders with the account.
        assert desk.board_panel.model.rowCount() > 0 and desk.chart.symbol
        assert "equity 1,000,000.00" in desk.orders.panel.account_label.text()


def test_raising_a_tab_builds_its_dock_once(qtbot: QtBot, tmp_path: Path) -> None:
    with _session(qtbot, tmp_path) as (desk, window, _services):
        window.dock("training").raise_()
        qtbot.waitUntil(lambda: desk.lazy["training"].built, timeout=5000)
        assert _built(desk) == {"training"}  # the tab that went behind it is not built by being hidden
        shell = window.panel("training")
        assert isinstance(shell, DockShell) and isinstance(shell.content, TrainingPanel)
        presenter, panel = desk.training, shell.content
        assert presenter.parent() is panel  # the presenter drives the panel on screen
        window.dock("orders").raise_()
        window.dock("training").raise_()
        _turns(qtbot, 3)
        assert desk.training is presenter and shell.content is panel

        # A dock the user closed (View menu) and floats when reopening it is built when it shows on its own.
        research = window.dock("research")
        research.toggleViewAction().trigger()  # closes it
        assert research.isHidden() and not desk.lazy["research"].built
        research.setFloating(True)
        research.toggleViewAction().trigger()
        qtbot.waitUntil(lambda: desk.lazy["research"].built, timeout=5000)
        assert isinstance(desk.panel("research"), ResearchPanel) and desk.panel("research").isVisible()
        assert _built(desk) == {"training", "research"}


def test_a_saved_layout_with_a_tab_in_front_restores_it_built(qtbot: QtBot, tmp_path: Path) -> None:
    layout = LayoutStore(tmp_path / "qdesk.ini")
    with _session(qtbot, tmp_path, layout) as (desk, window, _services):
        window.dock("backtest").raise_()
        qtbot.waitUntil(lambda: desk.lazy["backtest"].built, timeout=5000)
    # Closing the window saved its layout, backtest in front of the bottom tabs.
    with _session(qtbot, tmp_path, layout) as (desk, window, _services):
        qtbot.waitUntil(lambda: desk.lazy["backtest"].built, timeout=5000)
        assert isinstance(window.panel("backtest"), DockShell)
        assert isinstance(desk.panel("backtest"), BacktestPanel) and desk.panel("backtest").isVisible()
        assert _built(desk) == {"backtest"}


def test_a_run_registered_before_its_docks_are_built_is_listed_when_they_are(qtbot: QtBot, tmp_path: Path) -> None:
    with _session(qtbot, tmp_path) as (desk, _window, services):
        folder = services.runs.run_dir("run-late")
        folder.mkdir(parents=True)
        (folder / "model.txt").write_text("tree\n", encoding="utf-8")
        index = pd.MultiIndex.from_tuples([(pd.Timestamp("2011-12-06"), "SH600000")], names=["datetime", "instrument"])
        predictions = pd.DataFrame({"score": [0.1]}, index=index)
        data = ("2011-01-04", "2011-12-06")
        services.runs.record("run-late", {"model": "mlp"}, {"ic": 0.03}, predictions, folder / "model.txt", data)
        _turns(qtbot, 3)  # the fact has crossed to the GUI thread, with no dock built to hear it
        assert _built(desk) == set()

        training, backtest, signals = (desk.panel(k) for k in ("training", "backtest", "signals"))
        assert isinstance(training, TrainingPanel) and isinstance(backtest, BacktestPanel)
        assert isinstance(signals, SignalsPanel)
        assert "run-late" in [training.runs_table.item(r, 0).text() for r in range(training.runs_table.rowCount())]
        assert "run-late" in [backtest.run_id.itemText(i) for i in range(backtest.run_id.count())]
        assert "run-late" in [signals.run_box.itemData(i) for i in range(signals.run_box.count())]


def test_loading_a_workspace_with_a_tab_in_front_builds_that_dock(qtbot: QtBot, tmp_path: Path) -> None:
    layout = LayoutStore(tmp_path / "qdesk.ini")
    with _session(qtbot, tmp_path, layout) as (desk, window, _services):
        window.dock("signals").raise_()
        qtbot.waitUntil(lambda: desk.lazy["signals"].built, timeout=5000)
        layout.save_workspace("evening", window)
        window.dock("orders").raise_()  # the window closes with the orders in front
    with _session(qtbot, tmp_path, layout) as (desk, window, _services):
        assert _built(desk) == set()
        window.sig_load_workspace_requested.emit("evening")
        qtbot.waitUntil(lambda: desk.lazy["signals"].built, timeout=5000)
        assert isinstance(desk.panel("signals"), SignalsPanel) and desk.panel("signals").isVisible()
        assert _built(desk) == {"signals"}
