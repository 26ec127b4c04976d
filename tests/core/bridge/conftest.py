"""Bridge test fixtures: a real bridge on 127.0.0.1 (port 0) on its own thread, and real recorded ticks."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from hypothesis.configuration import set_hypothesis_home_dir

from core.bridge.auth import TokenStore
from core.bridge.server.runner import BridgeAddress, ServeOptions, ServerThread
from core.bridge.service import BridgeService, BridgeSettings
from core.bridge.sources.base import Source

# Hypothesis keeps its caches out of the checkout; its pytest plugin has already picked a home by now.
set_hypothesis_home_dir(os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY") or tempfile.mkdtemp(prefix="qdesk-hypothesis-"))

# Generous limits so tests that fire many requests measure behaviour, not the rate limiter.
TEST_SETTINGS = BridgeSettings(requests_per_s=10_000.0, request_burst=10_000, auth_failures_per_min=10_000)


@dataclass
class Running:
    service: BridgeService
    thread: ServerThread
    address: BridgeAddress
    token: str

    @property
    def url(self) -> str:
        return self.address.http_url

    @property
    def ws_url(self) -> str:
        return self.url.replace("https://", "wss://").replace("http://", "ws://") + "/v1/stream"

    def http(self, token: str | None = "valid") -> httpx.Client:
        headers = {}
        if token is not None:
            headers["Authorization"] = f"Bearer {self.token if token == 'valid' else token}"
        return httpx.Client(base_url=self.url, headers=headers, timeout=10.0)


@contextmanager
def serve(
    source: Source,
    config_dir: Path,
    settings: BridgeSettings | None = None,
    port: int = 0,
    token: str | None = None,
    tls: tuple[Path, Path] | None = None,
    trusted_proxies: tuple[str, ...] = (),
) -> Iterator[Running]:
    """A started bridge around `source`; stopped (and its source stopped) on exit."""
    tokens = TokenStore.in_dir(config_dir)
    if token is None:
        token = tokens.create("test")
    else:
        tokens.add(token, "test")
    service = BridgeService(source, tokens, settings or TEST_SETTINGS)
    options = ServeOptions(
        host="127.0.0.1",
        port=port,
        tls_cert=tls[0] if tls else None,
        tls_key=tls[1] if tls else None,
        trusted_proxies=trusted_proxies,
    )
    thread = ServerThread(service, options)
    address = thread.start()
    try:
        yield Running(service, thread, address, token)
    finally:
        thread.stop()


@pytest.fixture()
def bridge_factory(tmp_path: Path) -> Callable[..., Iterator[Running]]:
    def make(source: Source, **kwargs: object):  # noqa: ANN202
        return serve(source, tmp_path / "config", **kwargs)  # type: ignore[arg-type]

    return make


@pytest.fixture(scope="session")
def snapshot_dir(cn_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Three real Level-1 snapshot recordings (2021-12-01, SH), copied so a test folder holds only them."""
    root = tmp_path_factory.mktemp("snapshots")
    files = sorted((cn_data / "tick" / "snapshot").glob("*.csv"))[:3]
    for f in files:
        shutil.copy(f, root / f.name)
    return root


@pytest.fixture(scope="session")
def snapshot_symbols(snapshot_dir: Path) -> list[str]:
    return sorted(p.name.split("_")[0] for p in snapshot_dir.glob("*.csv"))


def self_signed_certificate(root: Path) -> tuple[Path, Path]:
    """(certificate, key) for 127.0.0.1 in `root`, as a bridge's self-signed TLS setup would have them."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is needed to make a test certificate")
    cert, key = root / "cert.pem", root / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "2",
            "-subj",
            "/CN=127.0.0.1",
            "-addext",
            "subjectAltName=IP:127.0.0.1",
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )
    return cert, key
