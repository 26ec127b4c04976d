"""Drive a whole desktop session from a test: `run_desktop` runs its own event loop until the window closes,
so the test acts on the open main window from a timer inside that loop."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication

from app.desktop import run_desktop
from widgets.main_window import MainWindow


def run_desktop_driven(
    act: Callable[[MainWindow], None],
    data_dir: Path,
    demo: bool,
    screenshot: Path | None = None,
    interval_ms: int = 50,
) -> int:
    """run_desktop(data_dir, demo, "en", screenshot), calling `act` with each visible main window every
    `interval_ms` until the session ends (act closes the window, or leaves the demo, when it is done); the
    session's exit code."""

    def act_on_visible_windows() -> None:
        for widget in QApplication.topLevelWidgets():
            if isinstance(widget, MainWindow) and widget.isVisible():
                act(widget)

    driver = QTimer()
    driver.setInterval(interval_ms)
    driver.timeout.connect(act_on_visible_windows)
    driver.start()
    try:
        return run_desktop(data_dir, demo, "en", screenshot)
    finally:
        driver.stop()
