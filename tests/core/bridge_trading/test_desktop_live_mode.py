"""The orders dock on the live QMT account: chosen in settings, disarmed at start, loaded from a real bridge."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from app.orders_presenter import open_trading_service, start_live_broker
from app.services import open_services
from core.bridge.client.credentials import save_token
from core.data.importer import import_files
from core.settings import AppSettings
from core.storage import MarketStore
from tests.fakes.memory_keyring import MemoryKeyring, keyring_in_use


@pytest.fixture()
def memory_keyring() -> Iterator[MemoryKeyring]:
    with keyring_in_use(MemoryKeyring()) as backend:
        yield backend


@pytest.fixture()
def data_dir(tmp_path: Path, cn_data: Path) -> Path:
    folder = tmp_path / "data"
    store = MarketStore.open(folder / "market.sqlite")
    try:
        list(import_files(store, [cn_data / "daily" / "600000.SH.csv"], "1d"))
    finally:
        store.close()
    return folder


def _orders_service(data_dir: Path, bridge_url: str, mode: str):  # type: ignore[no-untyped-def]
    services = open_services(data_dir, demo=False, scratch=True, bridge_url=bridge_url, bridge_token="unused")
    return services, open_trading_service(services, AppSettings(bridge_url=bridge_url, trading_mode=mode))


def test_live_setting_trades_the_bridge_account_and_starts_disarmed(
    qtbot,
    bridge,
    memory_keyring,  # type: ignore[no-untyped-def]
    data_dir: Path,
) -> None:
    save_token(bridge.url, bridge.trade_token)
    services, service = _orders_service(data_dir, bridge.url, "live")
    try:
        assert service.mode == "live" and not service.armed

        async def load() -> float:
            await start_live_broker(service)
            try:
                return service.broker.account().cash
            finally:
                await service.broker.aclose()

        assert asyncio.run(load()) == 1_000_000.0  # the fake QMT account's cash, read over the bridge
    finally:
        services.close()


def test_paper_unless_live_is_chosen_and_a_token_is_stored(
    qtbot,
    bridge,
    memory_keyring,  # type: ignore[no-untyped-def]
    data_dir: Path,
) -> None:
    for mode in ("paper", "live"):  # live without a stored token falls back to paper, with a log line
        services, service = _orders_service(data_dir, bridge.url, mode)
        try:
            assert service.mode == "paper"
        finally:
            services.close()


def test_unknown_trading_mode_in_the_settings_file_means_paper() -> None:
    assert AppSettings(trading_mode="yolo").validated().trading_mode == "paper"
    assert AppSettings(trading_mode="live").validated().trading_mode == "live"
