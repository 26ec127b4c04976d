"""Log tail: every log record of the process, batched from any thread into the monitor's log table."""

from __future__ import annotations

import logging
import time
from collections import deque

from core.monitor.logs import LogEntry, MemoryLogHandler
from widgets.log_panel import CAPACITY, LogPanel, LogRow


class LogTail:
    """Attaches a handler to the root logger; `flush` (GUI thread) moves what arrived into the panel."""

    def __init__(self, panel: LogPanel) -> None:
        self._panel = panel
        self.handler = MemoryLogHandler()
        self._pending: deque[LogEntry] = deque(maxlen=CAPACITY)  # bounded if never drained
        self.handler.add_listener(self._pending.append)  # any thread; drained on the GUI thread
        logging.getLogger().addHandler(self.handler)

    def flush(self) -> None:
        rows = []
        while self._pending:
            entry = self._pending.popleft()
            stamp = time.strftime("%H:%M:%S", time.localtime(entry.time)) + f".{int(entry.time * 1000) % 1000:03d}"
            rows.append(LogRow(stamp, entry.level, entry.levelno, entry.logger, entry.message, entry.details))
        self._panel.append(rows)

    def detach(self) -> None:
        logging.getLogger().removeHandler(self.handler)
