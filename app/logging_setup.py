"""Desktop logging: JSON-lines rotating files in the data folder, warnings on stderr, Python warnings captured."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from core.monitor.logs import LOG_DIR, LOG_FILE, rotating_file_handler

_STDERR_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class InstalledLogging:
    """What `install_logging` added to the root logger, so it can be taken off again (tests, re-runs)."""

    def __init__(self, handlers: list[logging.Handler], previous_level: int, log_path: Path | None) -> None:
        self.handlers = handlers
        self.log_path = log_path
        self._previous_level = previous_level

    def uninstall(self) -> None:
        root = logging.getLogger()
        for handler in self.handlers:
            root.removeHandler(handler)
            handler.close()
        self.handlers = []
        root.setLevel(self._previous_level)
        logging.captureWarnings(False)


def install_logging(data_dir: Path | None, level: int = logging.INFO) -> InstalledLogging:
    """Log to `<data_dir>/logs/qdesk.log` (none when `data_dir` is None) and WARNING+ to stderr.

    A data folder that cannot take the log file still gets the stderr handler: the app must start
    even on a read-only disk, and says so once.
    """
    root = logging.getLogger()
    previous = root.level
    handlers: list[logging.Handler] = []
    stderr = logging.StreamHandler(sys.stderr)
    stderr.setLevel(logging.WARNING)
    stderr.setFormatter(logging.Formatter(_STDERR_FORMAT))
    handlers.append(stderr)
    log_path = None
    problem = ""
    if data_dir is not None:
        try:
            handlers.append(rotating_file_handler(data_dir, level))
            log_path = data_dir / LOG_DIR / LOG_FILE
        except OSError as exc:
            problem = f"cannot write logs in {data_dir / LOG_DIR}: {exc.strerror or exc}"
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(min(level, previous) if previous != logging.NOTSET else level)
    logging.captureWarnings(True)
    if problem:
        logging.getLogger(__name__).warning(problem)
    return InstalledLogging(handlers, previous, log_path)
