"""Running a bridge: bind, serve with uvicorn, stop cleanly; in the caller's loop or on a thread of its own."""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import os
import socket
import ssl
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import uvicorn

from core.bridge import DEFAULT_PORT
from core.bridge.server.app import create_app
from core.bridge.service import BridgeService

log = logging.getLogger(__name__)
_STATUS_EVERY_S = 1.0


class BridgeStartError(RuntimeError):
    """The bridge could not start; the message is one sentence for the user."""


@dataclass(frozen=True, slots=True)
class ServeOptions:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    tls_cert: Path | None = None
    tls_key: Path | None = None
    access_log: bool = False
    # Addresses of reverse proxies whose X-Forwarded-For / X-Forwarded-Proto are believed. Empty: none are,
    # so a client cannot pick its own address for the lock-out, the rate limit or the audit log.
    trusted_proxies: tuple[str, ...] = ()

    @property
    def tls(self) -> bool:
        return self.tls_cert is not None


@dataclass(frozen=True, slots=True)
class BridgeAddress:
    host: str
    port: int
    tls: bool

    @property
    def http_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket, bound here so a busy port is one clear error rather than uvicorn's exit."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # Naming the protocol matters: asyncio sets TCP_NODELAY on accepted connections only when the listening
    # socket says IPPROTO_TCP; without it every keep-alive reply waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    if os.name != "nt":  # on Windows SO_REUSEADDR would let two bridges share the port
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(512)
    except OSError as exc:
        sock.close()
        reason = (
            "the port is in use (is another bridge running?)"
            if exc.errno in (48, 98, 10048)
            else (exc.strerror or str(exc))
        )
        raise BridgeStartError(f"cannot listen on {host}:{port}: {reason}") from None
    return sock


async def run_bridge(
    service: BridgeService,
    options: ServeOptions,
    on_ready: Callable[[BridgeAddress, uvicorn.Server], None] | None = None,
) -> None:
    """Start the source, serve until the server is told to exit, then stop everything."""
    await service.start()
    sock: socket.socket | None = None
    status_task: asyncio.Task[None] | None = None
    try:
        sock = bind_socket(options.host, options.port)
        settings = service.settings
        config = uvicorn.Config(
            create_app(service),
            ws="websockets-sansio",
            ws_max_size=settings.max_ws_message_bytes,
            ws_per_message_deflate=False,  # ticks are numbers: compression costs CPU and latency for little
            lifespan="off",
            log_config=None,
            access_log=options.access_log,
            timeout_graceful_shutdown=3,
            proxy_headers=bool(options.trusted_proxies),
            forwarded_allow_ips=list(options.trusted_proxies) or None,
            h11_max_incomplete_event_size=2 * settings.max_url_bytes,
            ssl_certfile=str(options.tls_cert) if options.tls_cert else None,
            ssl_keyfile=str(options.tls_key) if options.tls_key else None,
        )
        try:
            config.load()
        except (ssl.SSLError, OSError) as exc:
            raise BridgeStartError(f"cannot load the TLS certificate or key: {exc}") from None
        server = uvicorn.Server(config)
        status_task = asyncio.get_running_loop().create_task(_refresh_status(service), name="bridge-status")
        serving = asyncio.get_running_loop().create_task(server.serve(sockets=[sock]), name="bridge-http")
        while not server.started and not serving.done():
            await asyncio.sleep(0.01)
        if server.started and on_ready is not None:
            bound = sock.getsockname()
            on_ready(BridgeAddress(options.host, bound[1], options.tls), server)
        await serving
    finally:
        if status_task is not None:
            status_task.cancel()
            await asyncio.gather(status_task, return_exceptions=True)
        await service.stop()
        if sock is not None:
            sock.close()


async def _refresh_status(service: BridgeService) -> None:
    while True:
        service.refresh_status()
        await asyncio.sleep(_STATUS_EVERY_S)


class ServerThread:
    """A bridge on its own thread and event loop: a GUI (the tray) or a test drives it without blocking it."""

    def __init__(
        self, service: BridgeService, options: ServeOptions, on_ready: Callable[[BridgeAddress], None] | None = None
    ) -> None:
        self.service = service
        self.options = options
        self._on_ready = on_ready
        self.address: BridgeAddress | None = None
        self._server: uvicorn.Server | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._main, name="qdesk-bridge", daemon=True)

    def start(self, timeout: float = 30.0) -> BridgeAddress:
        """Start and wait until the bridge listens; raise what stopped it from starting."""
        self._thread.start()
        if not self._ready.wait(timeout):
            raise BridgeStartError(f"the bridge did not start within {timeout:.0f} s")
        if self._error is not None:
            raise self._error
        assert self.address is not None
        return self.address

    def _main(self) -> None:
        def ready(address: BridgeAddress, server: uvicorn.Server) -> None:
            self.address, self._server = address, server
            try:
                if self._on_ready is not None:
                    self._on_ready(address)
            finally:
                self._ready.set()

        try:
            asyncio.run(self._serve(ready))
        except BaseException as exc:  # noqa: BLE001 (reported to whoever waits in start())
            self._error = exc
            if not self._ready.is_set():
                log.debug("bridge failed to start", exc_info=True)
            else:
                log.error("bridge stopped by an error", exc_info=True)
        finally:
            self._ready.set()

    async def _serve(self, ready: Callable[[BridgeAddress, uvicorn.Server], None]) -> None:
        self._loop = asyncio.get_running_loop()
        await run_bridge(self.service, self.options, ready)

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and self.address is not None

    def call(self, fn: Callable[[], Any]) -> None:
        """Run `fn` on the bridge's loop thread (pause, resume): services are not thread-safe."""
        if self._loop is not None and not self._loop.is_closed():
            with contextlib.suppress(RuntimeError):
                self._loop.call_soon_threadsafe(fn)

    def stop(self, timeout: float = 10.0) -> None:
        """Ask the server to exit, closing client connections, and wait for the thread to end."""
        server = self._server
        if server is not None:
            server.should_exit = True
        self._thread.join(timeout)
