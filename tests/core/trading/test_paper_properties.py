"""Property tests of the paper broker: under any sequence of orders, fills and cancels, cash never goes below
zero, nothing is spent twice, and every position equals the sum of its fills."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core.domain.orders import OrderRequest, OrderType, Side
from core.domain.ticks import Tick
from core.trading.paper import PaperBroker
from core.trading.store import TradingStore

SYM = "600103.SH"  # pre-close 2.72: limits 2.99 / 2.45
START = dt.datetime(2021, 12, 1, 9, 30)

prices = st.integers(245, 299).map(lambda c: c / 100)
lots = st.integers(1, 40).map(lambda n: n * 100)
actions = st.lists(
    st.one_of(
        st.tuples(st.just("buy"), lots, prices, st.booleans()),
        st.tuples(st.just("sell"), st.integers(1, 4000), prices, st.booleans()),
        st.tuples(st.just("cancel"), st.integers(0, 50)),
        st.tuples(st.just("allin"), prices),  # a buy of all the cash there is: the tightest case
        st.tuples(st.just("tick"), prices, st.integers(0, 8).map(lambda n: n * 100), st.integers(0, 3000)),
        st.tuples(
            st.just("day"),
        ),
    ),
    max_size=60,
)


class _Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> dt.datetime:
        return self.now


def _tick(now: dt.datetime, last: float, ask_volume: int, bid_volume: int) -> Tick:
    ask = min(round(last + 0.01, 2), 2.99)
    bid = max(round(last - 0.01, 2), 2.45)
    return Tick(
        SYM, now, last, 2.72, 2.99, 2.45, 2.72, 1e6, 2.7e6,
        bid_prices=(bid,) if bid_volume else (), bid_volumes=(float(bid_volume),) if bid_volume else (),
        ask_prices=(ask,) if ask_volume else (), ask_volumes=(float(ask_volume),) if ask_volume else (),
    )  # fmt: skip


# Cash is often exactly what one whole order costs (with its minimum commission): the tightest case.
cashes = st.one_of(st.floats(1_000, 60_000), st.builds(lambda n, p: round(n * 100 * p + 5.06, 2), lots, prices))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cash=cashes, steps=actions)
def test_cash_stays_non_negative_and_positions_equal_their_fills(cash: float, steps: list[tuple]) -> None:  # type: ignore[type-arg]
    with tempfile.TemporaryDirectory() as folder:
        clock = _Clock()
        store = TradingStore(Path(folder) / "t.sqlite")
        broker = PaperBroker(store, cash=cash, clock=clock)
        n = 0
        for step in steps:
            clock.now += dt.timedelta(seconds=3)
            kind = step[0]
            if kind in ("buy", "sell"):
                _, qty, price, market = step
                n += 1
                side = Side.BUY if kind == "buy" else Side.SELL
                broker.submit(
                    OrderRequest(
                        f"o{n}",
                        SYM,
                        side,
                        qty,
                        0.0 if market else price,
                        OrderType.MARKET if market else OrderType.LIMIT,
                    )
                )
            elif kind == "allin":
                price = step[1]
                qty = int((broker.account().available - 5.06) / price // 100 * 100)
                n += 1
                if qty > 0:
                    broker.submit(OrderRequest(f"o{n}", SYM, Side.BUY, qty, price))
            elif kind == "cancel":
                open_orders = [o for o in broker.orders() if o.is_open]
                if open_orders:
                    broker.cancel(open_orders[step[1] % len(open_orders)].client_id)
            elif kind == "tick_at":
                buys = [o for o in broker.orders() if o.is_open and o.side is Side.BUY and o.type is OrderType.LIMIT]
                if buys:
                    broker.on_ticks([_tick(clock.now, round(buys[-1].price - 0.01, 2), step[1], 0)])
            elif kind == "tick":
                broker.on_ticks([_tick(clock.now, step[1], step[2], step[3])])
            else:  # the next trading day's open
                clock.now = dt.datetime.combine(clock.now.date() + dt.timedelta(days=1), dt.time(9, 30))
                while clock.now.weekday() >= 5:
                    clock.now += dt.timedelta(days=1)
            account = broker.account()
            assert account.cash >= -1e-6
            assert account.available >= -1e-6
            bought = sum(f.qty for f in broker.fills() if f.side is Side.BUY)
            sold = sum(f.qty for f in broker.fills() if f.side is Side.SELL)
            held = sum(p.total for p in broker.positions())
            assert held == bought - sold
            for pos in broker.positions():
                assert 0 <= pos.sellable <= pos.total and pos.frozen >= 0
            for order in broker.orders():
                assert order.filled_qty == sum(f.qty for f in broker.fills() if f.client_id == order.client_id)
        # A restart reads back exactly the same books.
        again = PaperBroker(TradingStore(Path(folder) / "t.sqlite"), cash=cash, clock=clock)
        assert again.account().cash == broker.account().cash
        assert again.positions() == broker.positions()
        store.close()
