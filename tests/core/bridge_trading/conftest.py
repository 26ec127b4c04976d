"""A real bridge on 127.0.0.1 replaying real SSE snapshots, with trading over a faithful fake xttrader."""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from core.bridge.auth import TokenStore
from core.bridge.server.runner import BridgeAddress, ServeOptions, ServerThread
from core.bridge.service import BridgeService, BridgeSettings
from core.bridge.sources.replay import ReplaySource
from core.bridge.trading.router import attach_trading
from core.bridge.trading.scopes import TradeScopes, create_trade_token
from core.bridge.trading.service import BridgeTrading
from core.domain.bars import Instrument
from core.trading.audit import AuditLog
from core.trading.risk import RiskEngine, RiskLimits
from tests.fakes.xttrader_fake import FakeQmt, StockAccount
from tests.realdata import real_data

SETTINGS = BridgeSettings(requests_per_s=10_000.0, request_burst=10_000, auth_failures_per_min=10_000)
SYMBOL = "600103.SH"  # pre-close 2.72 on 2021-12-01: limits 2.99 / 2.45


@dataclass
class Bridge:
    service: BridgeService
    trading: BridgeTrading
    thread: ServerThread
    address: BridgeAddress
    read_token: str
    trade_token: str

    @property
    def url(self) -> str:
        return self.address.http_url

    def http(self, token: str) -> httpx.Client:
        return httpx.Client(base_url=self.url, headers={"Authorization": f"Bearer {token}"}, timeout=10.0)

    def trader(self) -> httpx.Client:
        return self.http(self.trade_token)

    def reader(self) -> httpx.Client:
        return self.http(self.read_token)


@pytest.fixture(scope="session")
def replay_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    src = real_data("cn", "tick", "snapshot", f"{SYMBOL}_2021-12-01.csv")
    root = tmp_path_factory.mktemp("replay")
    shutil.copy(src, root / src.name)
    return root


@contextmanager
def serve_bridge(
    qmt: FakeQmt,
    config: Path,
    replay: Path,
    limits: RiskLimits | None = None,
    tls: tuple[Path, Path] | None = None,
    instruments: Callable[[], Awaitable[list[Instrument]]] | None = None,
) -> Iterator[Bridge]:
    tokens = TokenStore.in_dir(config)
    scopes = TradeScopes.in_dir(config)
    read_token = tokens.create("read-only")
    trade_token = create_trade_token(tokens, scopes, "desk")
    service = BridgeService(ReplaySource(replay, speed=30.0), tokens, SETTINGS)
    audit = AuditLog(config / "audit.sqlite")
    trading = BridgeTrading(
        qmt.trader,
        StockAccount(qmt.account_id),
        audit,
        RiskEngine(limits or RiskLimits(max_position_weight=1.0)),
        instruments=instruments,
    )
    attach_trading(service, trading, scopes)
    options = ServeOptions(host="127.0.0.1", port=0, tls_cert=tls[0] if tls else None, tls_key=tls[1] if tls else None)
    thread = ServerThread(service, options)
    address = thread.start()
    try:
        yield Bridge(service, trading, thread, address, read_token, trade_token)
    finally:
        if trading.loop is not None and not trading.loop.is_closed():
            asyncio.run_coroutine_threadsafe(trading.stop(), trading.loop).result(10)
        thread.stop()
        audit.close()


@pytest.fixture()
def qmt() -> FakeQmt:
    return FakeQmt()


@pytest.fixture()
def bridge(qmt: FakeQmt, tmp_path: Path, replay_dir: Path) -> Iterator[Bridge]:
    with serve_bridge(qmt, tmp_path / "bridge", replay_dir) as running:
        yield running


def wait_for(check: Callable[[], Any], timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(0.02)


def order_of(client: httpx.Client, client_id: str) -> dict[str, Any] | None:
    found = [o for o in client.get("/v1/orders").json()["orders"] if o["client_id"] == client_id]
    return found[0] if found else None


def place(
    client: httpx.Client, client_id: str, qty: int = 100, price: float = 2.80, side: str = "buy", kind: str = "limit"
) -> httpx.Response:
    return client.post(
        "/v1/orders",
        json={"client_id": client_id, "symbol": SYMBOL, "side": side, "qty": qty, "price": price, "type": kind},
    )
