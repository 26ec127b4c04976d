"""Trading health from a real paper broker fed real Level-1 snapshots: exposure, open orders, P&L, drawdown."""

from __future__ import annotations

import pytest

from core.domain.orders import OrderRequest, Side
from core.monitor.sources import TradingCollector, broker_trading_source
from tests.core.trading.conftest import Clock, clock, feed, make_broker, ticks_600103  # noqa: F401 (fixtures)


def test_paper_account_figures(make_broker, clock: Clock, ticks_600103) -> None:  # noqa: ANN001, F811
    broker = make_broker(cash=1_000_000.0)
    source = broker_trading_source(broker)
    first = source()
    assert (first.pnl_today, first.drawdown_pct, first.exposure, first.open_orders) == (0.0, 0.0, 0.0, 0)
    assert first.risk_refusals is None

    feed(broker, clock, ticks_600103[:5])
    low = round(min(t.bid1 for t in ticks_600103) - 0.5, 2)  # never reached: the order rests
    broker.submit(OrderRequest("rest", "600103.SH", Side.BUY, 1000, low))
    broker.submit(OrderRequest("buy", "600103.SH", Side.BUY, 10_000, round(ticks_600103[4].ask1 + 0.05, 2)))
    feed(broker, clock, ticks_600103[5:])
    health = source()
    account = broker.account()
    assert health.open_orders == 1
    assert health.exposure == pytest.approx(account.market_value) and health.exposure > 0
    assert health.pnl_today == pytest.approx(account.equity - 1_000_000.0)
    peak = max(1_000_000.0, account.equity)  # the only two equities this source has seen
    assert health.drawdown_pct == pytest.approx(100 * (peak - account.equity) / peak)
    values = TradingCollector(source).collect()
    assert values["trading.open_orders"] == 1 and values["trading.risk_refusals"] is None
