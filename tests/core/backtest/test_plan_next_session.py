"""The next session's plan: the backtest's own decision→orders, the next trading day's limit band."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from core.rules.engine import DayQuote, RuleConfig
from core.rules.price_limits import limit_prices
from core.storage import MarketStore
from core.strategy.base import Decision, Strategy, StrategyContext
from core.strategy.decision_orders import ExecutionDay, decision_orders
from core.strategy.rebalance import next_trading_day, plan_rebalance
from core.strategy.threshold import ThresholdStrategy
from core.strategy.topk_dropout import TopkDropoutStrategy
from tests.core.backtest.fixtures import SYMBOLS, momentum_signals


class Fixed(Strategy):
    """Targets given up front, so a test controls the decision exactly."""

    def __init__(self, decision: Decision) -> None:
        self.decision = decision

    def decide(self, ctx: StrategyContext) -> Decision:
        return self.decision


def _market(day: dt.date, prices: dict[str, float]) -> ExecutionDay:
    def quote(s: str) -> DayQuote | None:
        p = prices.get(s)
        return None if p is None else DayQuote(p, p, p, p, round(p * 1.1, 2), round(p * 0.9, 2))

    def price(s: str) -> float:
        return prices.get(s, float("nan"))

    return ExecutionDay(day, quote, price, price)


def test_tolerance_leaves_a_near_target_holding_alone() -> None:
    day = dt.date(2021, 3, 1)
    market = _market(day, {"600000.SH": 10.0, "000001.SZ": 20.0})
    holdings = {"600000.SH": 4800}  # 48,000 of 100,000 equity: 4% under a 50% target
    targets = {"600000.SH": 0.5, "000001.SZ": 0.45}
    loose = decision_orders(
        Decision(targets=targets, tolerance=0.05), holdings, holdings, 52_000.0, market, RuleConfig()
    )
    assert [(o.symbol, o.side) for o in loose.accepted] == [("000001.SZ", "buy")]
    tight = decision_orders(
        Decision(targets=targets, tolerance=0.0), holdings, holdings, 52_000.0, market, RuleConfig()
    )
    assert [(o.symbol, o.side, o.verdict.shares) for o in tight.accepted][0] == ("600000.SH", "buy", 200)


def test_plan_uses_the_same_tolerance_as_the_backtest(real_store: MarketStore) -> None:
    sig = momentum_signals(real_store, SYMBOLS, "2020-10-01", "2020-12-31")
    bars = real_store.read_bars("600000.SH", "1d", "2020-12-31", "2020-12-31")
    close = float(bars["close"].iloc[-1])
    held = int(0.48 * 1_000_000 / close) // 100 * 100
    cash = 1_000_000 - held * close
    decision = Decision(targets={"600000.SH": 0.5}, tolerance=0.1)
    plan = plan_rebalance(real_store, sig, Fixed(decision), {"600000.SH": held}, cash)
    assert plan.orders == [] and plan.refused == []
    plan = plan_rebalance(real_store, sig, Fixed(Decision(targets={"600000.SH": 0.5})), {"600000.SH": held}, cash)
    assert [(o.symbol, o.side) for o in plan.orders] == [("600000.SH", "buy")]


def test_band_is_the_next_trading_days_under_its_rules(real_store: MarketStore) -> None:
    # 2020-08-21 was a Friday; ChiNext moved to a 20% limit on Monday 2020-08-24.
    sig = momentum_signals(real_store, SYMBOLS, "2020-06-01", "2020-08-21")
    plan = plan_rebalance(real_store, sig, TopkDropoutStrategy(topk=10, n_drop=0), {}, 5_000_000.0)
    assert plan.signal_day == dt.date(2020, 8, 21) and plan.session == dt.date(2020, 8, 24)
    close = float(real_store.read_bars("300059.SZ", "1d", "2020-08-21", "2020-08-21")["close"].iloc[-1])
    order = next(o for o in plan.orders if o.symbol == "300059.SZ")
    assert (order.limit_up, order.limit_down) == limit_prices("300059.SZ", dt.date(2020, 8, 24), close)
    assert order.limit_up is not None and abs(order.limit_up / close - 1.2) < 0.01
    main = next(o for o in plan.orders if o.symbol == "600000.SH")
    assert main.limit_up is not None and abs(main.limit_up / main.price - 1.1) < 0.01
    # Under a risk warning from --st, the main-board band narrows to 5% on the session.
    st = {"600000.SH": [("2020-08-24", "2020-12-31")]}
    plan = plan_rebalance(real_store, sig, TopkDropoutStrategy(topk=10, n_drop=0), {}, 5_000_000.0, st_intervals=st)
    main = next(o for o in plan.orders if o.symbol == "600000.SH")
    assert main.limit_up is not None and abs(main.limit_up / main.price - 1.05) < 0.01


def test_a_risk_warning_name_in_the_store_narrows_the_next_sessions_band(real_store: MarketStore) -> None:
    last = real_store.trading_days()[-1]
    start = (dt.date.fromisoformat(last) - dt.timedelta(days=120)).isoformat()
    sig = momentum_signals(real_store, SYMBOLS, start, last)
    before = {r["symbol"]: r["name"] for r in real_store.instruments()}["600000.SH"]
    strategy = TopkDropoutStrategy(topk=10, n_drop=0)
    unwarned = plan_rebalance(real_store, sig, strategy, {}, 5_000_000.0)
    plain = next(o for o in unwarned.orders if o.symbol == "600000.SH")
    assert plain.limit_up is not None and abs(plain.limit_up / plain.price - 1.1) < 0.01
    try:
        with real_store.transaction():
            real_store.update_instruments([("600000.SH", "*ST浦发", None, None)])
        plan = plan_rebalance(real_store, sig, strategy, {}, 5_000_000.0)
    finally:
        with real_store.transaction():
            real_store.update_instruments([("600000.SH", before, None, None)])
    assert plan.signal_day.isoformat() == last
    main = next(o for o in plan.orders if o.symbol == "600000.SH")
    assert main.limit_up is not None and abs(main.limit_up / main.price - 1.05) < 0.01


def test_plan_spends_only_available_cash_and_sells_only_free_shares(real_store: MarketStore) -> None:
    sig = momentum_signals(real_store, SYMBOLS, "2020-10-01", "2020-12-31")
    latest = sig.xs(pd.Timestamp("2020-12-31"), level=0)["score"].sort_values(ascending=False)
    worst = latest.index[-1]
    strategy = TopkDropoutStrategy(topk=3, n_drop=1)
    plan = plan_rebalance(real_store, sig, strategy, {worst: 1000}, 200_000.0, sellable={worst: 0})
    assert (worst, "sell", "t_plus_1") in plan.refused
    spent = sum(o.value + o.fees for o in plan.orders if o.side == "buy")
    assert spent <= 200_000.0 and abs(plan.cash_after - (200_000.0 - spent)) < 1e-6
    assert plan.value_after > plan.cash_after


def test_next_trading_day_from_the_calendar_then_weekdays() -> None:
    calendar = ["2020-09-30", "2020-10-09", "2020-10-12"]
    assert next_trading_day(dt.date(2020, 9, 30), calendar) == dt.date(2020, 10, 9)  # the National Day week
    assert next_trading_day(dt.date(2020, 10, 12), calendar) == dt.date(2020, 10, 13)
    assert next_trading_day(dt.date(2020, 10, 16), calendar) == dt.date(2020, 10, 19)  # Friday → Monday


def test_threshold_targets_plan_within_cash(real_store: MarketStore) -> None:
    sig = momentum_signals(real_store, SYMBOLS, "2020-10-01", "2020-12-31")
    plan = plan_rebalance(real_store, sig, ThresholdStrategy(max_positions=4, max_weight=0.25), {}, 1_000_000.0)
    assert 0 < len(plan.orders) <= 4 and plan.cash_after >= 0
