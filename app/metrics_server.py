"""Opt-in desktop /metrics for Prometheus, on localhost only, serving the monitor's registry."""

from __future__ import annotations

import logging
import threading
from typing import Any

log = logging.getLogger(__name__)
HOST = "127.0.0.1"  # never all interfaces: account figures must not leave the machine unasked


class MetricsServer:
    """prometheus_client's WSGI server on its own daemon thread; `stop` shuts it down and frees the port."""

    def __init__(self, registry: Any, port: int) -> None:
        self._registry = registry
        self._requested_port = port
        self._server: Any | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        return int(self._server.server_port) if self._server is not None else 0

    @property
    def url(self) -> str:
        return f"http://{HOST}:{self.port}/metrics"

    def start(self) -> str | None:
        """Start serving; returns None, or the one-line reason it could not (port taken, say)."""
        from prometheus_client import start_http_server

        try:
            self._server, self._thread = start_http_server(self._requested_port, addr=HOST, registry=self._registry)
        except OSError as exc:
            reason = f"desktop /metrics not started on {HOST}:{self._requested_port}: {exc.strerror or exc}"
            log.warning(reason)
            return reason
        log.info("desktop metrics at %s", self.url)
        return None

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(5)
            self._thread = None
