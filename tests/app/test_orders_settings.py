"""Settings → Orders: the risk limits and the release time of queued orders are saved and reach the orders dock."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from PySide6.QtCore import QObject
from pytestqt.qtbot import QtBot

from app.settings_presenter import SettingsPresenter
from core.secrets import SecretStore
from core.settings import AppSettings, load_settings
from core.trading.accounts import settings_limits
from tests.fakes.memory_keyring import MemoryKeyring


def test_orders_limits_and_release_time_are_saved_and_used(qtbot: QtBot, tmp_path: Path) -> None:
    parent = QObject()
    applied: list[AppSettings] = []
    path = tmp_path / "settings.json"
    presenter = SettingsPresenter(
        parent, AppSettings(), path, SecretStore("QDesk Bridge", MemoryKeyring()), applied.append
    )
    dialog = presenter.open()
    qtbot.addWidget(dialog)
    dialog.limit_spins["max_daily_loss"].setValue(20_000)
    dialog.limit_spins["max_position_weight"].setValue(12.5)
    dialog.limit_spins["max_orders_per_day"].setValue(80)
    dialog.restricted_edit.setText("600000.SH, 000001.SZ")
    dialog.release_box.setCurrentIndex(dialog.release_box.findData("09:15"))
    dialog.sig_save_requested.emit(dialog.form())
    saved = load_settings(path)
    assert saved.queue_release_at == "09:15"
    limits = settings_limits(saved)
    assert (limits.max_daily_loss, limits.max_position_weight, limits.max_orders_per_day) == (20_000.0, 0.125, 80)
    assert limits.restricted == ("600000.SH", "000001.SZ") and limits.max_order_value == 1_000_000.0  # default kept
    assert dt.time.fromisoformat(saved.queue_release_at) == dt.time(9, 15)
    # Opened again, the dialog shows what is in force.
    again = SettingsPresenter(parent, saved, path, SecretStore("QDesk Bridge", MemoryKeyring()), applied.append)
    reopened = again.open()
    qtbot.addWidget(reopened)
    assert reopened.limit_spins["max_position_weight"].value() == 12.5
    assert reopened.limit_spins["max_order_value"].specialValueText() == "default"


def test_a_hand_edited_bad_limit_falls_back_to_the_defaults(tmp_path: Path) -> None:
    path = tmp_path / "settings.json"
    path.write_text('{"risk_limits": {"max_daily_loss": "much"}, "queue_release_at": "10:00"}', encoding="utf-8")
    saved = load_settings(path)
    assert saved.queue_release_at == "09:30"
    assert settings_limits(saved).max_daily_loss == 50_000.0


def test_limits_saved_in_settings_apply_to_the_running_account_at_once(qtbot: QtBot, tmp_path: Path) -> None:
    from app.orders_presenter import OrdersPresenter
    from core.domain.orders import OrderRequest, Side
    from core.trading.accounts import paper_service
    from tests.core.trading.conftest import continuous, load_ticks
    from widgets.orders_panel import OrdersPanel

    tick = continuous(load_ticks("600103.SH"))[0]
    service = paper_service(tmp_path / "paper", None, replay=False, limits=settings_limits(AppSettings()))
    service.broker.clock = lambda: tick.time  # type: ignore[misc]
    service.broker.on_ticks([tick])  # type: ignore[attr-defined]
    panel = OrdersPanel()
    qtbot.addWidget(panel)
    OrdersPresenter(panel, service)
    assert service.submit(OrderRequest("before", "600103.SH", Side.BUY, 1000, 2.80)).accepted  # 2,800 CNY
    parent = QObject()
    path = tmp_path / "settings.json"
    presenter = SettingsPresenter(
        parent, AppSettings(), path, SecretStore("QDesk Bridge", MemoryKeyring()), lambda _s: None, trading=service
    )
    dialog = presenter.open()
    qtbot.addWidget(dialog)
    dialog.limit_spins["max_order_value"].setValue(2_000)
    dialog.sig_save_requested.emit(dialog.form())
    assert presenter.notice is None  # nothing to restart for
    refused = service.submit(OrderRequest("after", "600103.SH", Side.BUY, 1000, 2.79))
    assert not refused.accepted and [r.rule for r in refused.verdict.refusals] == ["max_order"]
    assert service.submit(OrderRequest("small", "600103.SH", Side.BUY, 500, 2.80)).accepted  # 1,400 CNY
    # The dock hears of it through the relay and shows the limit now in force.
    qtbot.waitUntil(
        lambda: "2,000" in [panel.limits_table.item(r, 1).text() for r in range(panel.limits_table.rowCount())]
    )
    changed = [e for e in service.audit.entries() if e.action == "limits_changed"]
    assert changed and changed[-1].actor == "settings" and changed[-1].data["max_order_value"] == 2_000.0
