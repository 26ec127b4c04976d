"""The paper account reopens as the user left it: a kill switch pressed before a restart still holds after it."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from core.domain.orders import OrderRequest, Side
from core.trading.accounts import paper_service


def test_a_kill_switch_outlives_a_restart_until_the_user_arms_again(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    first = paper_service(tmp_path, None, replay=True, actor="alice")
    assert first.armed
    first.kill(actor="alice", reason="end of day check")

    caplog.set_level(logging.WARNING, logger="core.trading.accounts")
    reopened = paper_service(tmp_path, None, replay=True, actor="alice")
    assert not reopened.armed
    refused = reopened.submit(OrderRequest("after-restart", "600000.SH", Side.BUY, 100, 10.0))
    assert refused.order is None and refused.verdict.refusals[0].rule == "armed"
    assert any("starts disarmed (end of day check by alice" in r.getMessage() for r in caplog.records)

    reopened.arm(actor="alice")
    assert paper_service(tmp_path, None, replay=True).armed


def test_a_new_account_starts_armed(tmp_path: Path) -> None:
    assert paper_service(tmp_path / "fresh", None, replay=False).armed
