"""Desktop entry: QApplication, language, main window, and the one qasync loop Qt and asyncio share."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import os
import signal
import sys
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from app.display import has_display
from app.i18n import LANGUAGES
from core.settings import AppSettings

if TYPE_CHECKING:
    from PySide6.QtWidgets import QApplication

    from app.composition import Desk
    from app.first_run_presenter import FirstRunOutcome
    from app.services import Services
    from widgets.main_window import MainWindow

SCREENSHOT_SIZE = (1280, 800)
SETTINGS_FILE = "qdesk.ini"
_NO_DISPLAY = (
    "qdesk: no display found: DISPLAY and WAYLAND_DISPLAY are unset; "
    "set DISPLAY, run under Xvfb, or use --screenshot PNG"
)
# Qt gets a few turns of the loop to handle its posted layout, polish and paint events before the window is
# grabbed; a turn costs nothing when nothing is pending, unlike a fixed sleep.
_SETTLE_TURNS = 3
_POLL_SECONDS = 0.01  # how often a screenshot looks whether the chart and the feed are ready
_KEY_WARM_DELAY_S = 2.0  # after the first paint, so the lookup never competes with the launch
_KEY_WAIT_S = 5.0  # at close, a keyring still not answering is not waited on longer
_READY_TIMEOUT_S = 5.0  # a screenshot never waits longer than this for the chart and the feed


def run_desktop(
    data_dir: Path,
    demo: bool,
    lang: str,
    screenshot: Path | None,
    *,
    settings: AppSettings | None = None,
    settings_path: Path | None = None,
) -> int:
    """Open the desktop window and run until it closes; with `screenshot`, save a PNG instead and return.

    Returns the process exit code: 0 on success, 1 when the screenshot cannot be written,
    2 on unusable arguments or environment (no display, unknown language, unwritable data folder).
    """
    if lang not in LANGUAGES:
        print(f"qdesk: unknown language {lang!r}; use one of: {', '.join(LANGUAGES)}", file=sys.stderr)
        return 2
    problem = _prepare_platform(wants_screenshot=screenshot is not None)
    if problem is not None:
        print(problem, file=sys.stderr)
        return 2
    # A screenshot run shows the default layout and writes nothing but the PNG.
    layout_path = None if screenshot is not None else data_dir / SETTINGS_FILE
    if layout_path is not None:
        try:
            data_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            print(f"qdesk: cannot create data folder {data_dir}: {exc.strerror or exc}", file=sys.stderr)
            return 2

    # Qt is imported here, not at module level, so headless commands never load it.
    from PySide6.QtGui import QIcon
    from PySide6.QtWidgets import QApplication

    from app.pyside_scan import use_fast_pyside_scan

    use_fast_pyside_scan()  # before the window's ~500 modules are imported, each of which PySide6 looks at

    from app.crash_handler import install_crash_handling
    from app.gc_guard import MainThreadGarbageCollector
    from app.i18n import installed_language
    from app.resources import icon_path

    app = QApplication.instance() or QApplication([sys.argv[0] if sys.argv else "qdesk"])
    if not isinstance(app, QApplication):
        raise RuntimeError("a non-GUI QCoreApplication already exists in this process")
    app.setApplicationName("QDesk")
    app.setWindowIcon(QIcon(str(icon_path())))
    crash = install_crash_handling(data_dir if layout_path is not None else None)  # screenshots: no log file
    collector = MainThreadGarbageCollector(app)
    collector.start()
    # The coroutine ends the loop when the window closes; if Qt also quit on its own, qasync would
    # see the loop stop under a pending coroutine and raise.
    quit_on_last_window = app.quitOnLastWindowClosed()
    app.setQuitOnLastWindowClosed(False)
    try:
        with installed_language(app, lang):
            first = None  # the first start (no settings file yet) asks for folder, bridge and data first
            if settings_path is not None and screenshot is None and not demo and not settings_path.exists():
                from app.first_run_presenter import run_first_start

                first = run_first_start(settings or AppSettings(), settings_path, data_dir)
                settings, data_dir, demo = first.settings, first.data_dir, first.demo
            launch = _Launch(data_dir, demo, lang, screenshot, settings, settings_path, first)
            while True:  # once, or again on the user's own data after "Leave demo"
                code = _run_session(app, launch)
                if not launch.leave_demo:
                    return code
                launch.demo, launch.first, launch.leave_demo = False, None, False
    finally:
        app.setQuitOnLastWindowClosed(quit_on_last_window)
        collector.stop()
        crash.uninstall()


def _warm_audit_key_later(loop: asyncio.AbstractEventLoop, desk: Desk, started: list[threading.Thread]) -> None:
    """Fetch the audit log's signing key on a worker once the window is up, so the first order or arm does
    not wait on the OS keyring (a D-Bus probe on Linux, possibly a Keychain prompt on macOS), and the launch
    does not wait on it either. The worker is put in `started`, for the session to wait on before it closes
    the log."""
    audit = desk.trading.audit

    def start() -> None:
        worker = threading.Thread(target=audit.signing_key, name="audit key", daemon=True)
        started.append(worker)
        worker.start()

    loop.call_later(_KEY_WARM_DELAY_S, start)


@dataclass
class _Launch:
    """What one window session opens; `leave_demo` is set when the user asks to reopen on their own data."""

    data_dir: Path
    demo: bool
    lang: str
    screenshot: Path | None
    settings: AppSettings | None
    settings_path: Path | None
    first: FirstRunOutcome | None
    leave_demo: bool = False


def _run_session(app: QApplication, launch: _Launch) -> int:
    """Open the services and the window on one store (the demo's or the user's) and run until it closes."""
    import qasync

    from app.composition import (
        apply_theme,
        build_desk,
        connect_instrument_info,
        connect_settings,
        follow_lazy_docks,
    )
    from app.layout_store import LayoutStore
    from app.main_window_presenter import create_main_window
    from app.services import open_services
    from app.status_presenter import StatusPresenter

    data_dir, screenshot, settings, settings_path = (
        launch.data_dir,
        launch.screenshot,
        launch.settings,
        launch.settings_path,
    )
    layout_path = None if screenshot is not None else data_dir / SETTINGS_FILE
    key_workers: list[threading.Thread] = []
    try:
        services = open_services(
            data_dir,
            launch.demo,
            scratch=screenshot is not None,
            bridge_url=settings.bridge_url if settings is not None else "",
            bridge_ca_file=settings.bridge_ca_file if settings is not None else "",
        )
    except (OSError, RuntimeError, ValueError) as exc:
        print(f"qdesk: cannot open the market store in {data_dir}: {exc}", file=sys.stderr)
        return 2
    settings = settings or AppSettings()
    apply_theme(app, settings.theme)
    try:
        desk = build_desk(services, launch.lang, settings)
        presenter = create_main_window(
            data_dir=data_dir,
            demo=services.demo,
            layout_store=LayoutStore(layout_path) if layout_path is not None else None,
            panels=desk.panels,
        )
        follow_lazy_docks(presenter.window, desk)
        status = StatusPresenter(presenter.window, services)  # noqa: F841 (parented to the window)
        connect_instrument_info(presenter.window, desk, services, launch.lang)
        if settings_path is not None and screenshot is None:
            connect_settings(presenter.window, desk, settings, settings_path)
            from app.first_run_presenter import attach_first_run_action, show_board_and_chart

            attach_first_run_action(presenter.window, settings, settings_path, data_dir)
            if launch.first is not None and launch.first.completed:
                show_board_and_chart(presenter.window)
        window = presenter.window

        def leave_demo() -> None:
            launch.leave_demo = True
            window.close()  # the normal close path saves the layout; run_desktop then reopens on the user's data

        # What the launch built (modules, classes, the docks) lives for the session: frozen, the GUI thread's
        # collections stop rescanning it, starting with the one that would otherwise come due at the first paint.
        gc.freeze()
        window.sig_leave_demo_requested.connect(leave_demo)
        desk.lazy["data_manager"].when_built(lambda manager: manager.sig_leave_demo_requested.connect(leave_demo))
        # qasync.run is asyncio.run on a QEventLoop: it cancels leftover tasks and closes the loop.
        ready = _screenshot_ready(desk.chart, services)
        warm = None if screenshot is not None else lambda loop: _warm_audit_key_later(loop, desk, key_workers)
        return int(qasync.run(_drive(presenter.window, screenshot, services, ready, warm)))
    finally:
        gc.unfreeze()  # a session reopened after "Leave demo" lets this one's cycles be collected
        for worker in key_workers:  # a key being written is finished before its log closes
            worker.join(_KEY_WAIT_S)
        services.close()


def _prepare_platform(*, wants_screenshot: bool) -> str | None:
    """Pick Qt's platform on a display-less Linux box; the error line when the window cannot be shown."""
    if os.environ.get("QT_QPA_PLATFORM") or has_display(sys.platform, os.environ):
        return None
    if wants_screenshot:
        # Qt's offscreen platform paints the same widgets without a screen, which is all a PNG needs.
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
        return None
    return _NO_DISPLAY


async def _drive(
    window: MainWindow,
    screenshot: Path | None,
    services: Services,
    ready: Callable[[], bool] | None = None,
    warm: Callable[[asyncio.AbstractEventLoop], None] | None = None,
) -> int:
    """The application's main coroutine: runs until the window has closed."""
    services.start()
    if warm is not None:
        warm(asyncio.get_running_loop())
    try:
        return await _run_window(window, screenshot, ready)
    finally:
        await services.stop()


def _screenshot_ready(chart: object, services: Services) -> Callable[[], bool]:
    """True once the chart has its bars and the demo replay has published a day: what a screenshot shows."""

    def ready() -> bool:
        loading = bool(getattr(chart, "busy", False))
        return not loading and (services.feed is None or services.feed.current_day is not None)

    return ready


async def _run_window(window: MainWindow, screenshot: Path | None, ready: Callable[[], bool] | None = None) -> int:
    if screenshot is not None:
        return await _save_screenshot(window, screenshot, ready)
    loop = asyncio.get_running_loop()
    closed: asyncio.Future[None] = loop.create_future()

    def _on_window_sig_closed() -> None:
        if not closed.done():
            closed.set_result(None)

    window.sig_closed.connect(_on_window_sig_closed)
    _close_on_interrupt(loop, window)
    window.show()
    await closed
    return 0


def _close_on_interrupt(loop: asyncio.AbstractEventLoop, window: MainWindow) -> None:
    # While Qt's C++ loop runs, Ctrl+C in the terminal would otherwise go unnoticed; closing the
    # window takes the normal path, so the layout is still saved.
    # Windows event loops and non-main threads cannot take signal handlers.
    with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
        loop.add_signal_handler(signal.SIGINT, window.close)


def screenshot_size() -> tuple[int, int]:
    """The window size a screenshot is taken at: 1280x800, or `QDESK_SCREENSHOT_SIZE` (e.g. 1440x900)."""
    text = os.environ.get("QDESK_SCREENSHOT_SIZE", "")
    width, _, height = text.lower().partition("x")
    if width.isdigit() and height.isdigit() and int(width) >= 640 and int(height) >= 480:
        return int(width), int(height)
    return SCREENSHOT_SIZE


async def _save_screenshot(window: MainWindow, path: Path, ready: Callable[[], bool] | None = None) -> int:
    # Shown at its own size first, then resized, as a user enlarges it: the chart takes the extra room.
    window.show()
    for _ in range(_SETTLE_TURNS):
        await asyncio.sleep(0)
    window.resize(*screenshot_size())
    waited = 0.0
    while ready is not None and not ready() and waited < _READY_TIMEOUT_S:
        await asyncio.sleep(_POLL_SECONDS)
        waited += _POLL_SECONDS
    for _ in range(_SETTLE_TURNS):
        await asyncio.sleep(0)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        saved = window.grab().save(str(path))
    except OSError:
        saved = False
    finally:
        window.close()
    if not saved:
        print(f"qdesk: could not write screenshot {path}", file=sys.stderr)
        return 1
    print(path)
    return 0
