"""Pre-trade checks: small rules with parameters, each refusal explained in one sentence."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Protocol

from core.domain.orders import Account, Order, OrderRequest, OrderType, Position, Side
from core.domain.ticks import Tick
from core.trading.rulebook import RuleBook


@dataclass(frozen=True, slots=True)
class Refusal:
    rule: str
    reason: str


@dataclass(frozen=True, slots=True)
class Verdict:
    refusals: tuple[Refusal, ...]
    checked: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.refusals

    @property
    def reason(self) -> str:
        return "; ".join(f"{r.rule}: {r.reason}" for r in self.refusals)


@dataclass(frozen=True, slots=True)
class RiskContext:
    """Everything a rule may look at, gathered once per order."""

    request: OrderRequest
    now: dt.datetime
    account: Account
    position: Position | None
    tick: Tick | None
    orders_today: Sequence[Order]
    day_start_equity: float
    rules: RuleBook
    batch: frozenset[str] = frozenset()  # client ids of one confirmed list sent together (a rebalance)

    @property
    def price(self) -> float:
        """The worst price the order may trade at: its limit, else a market order's protection price."""
        if self.request.type is OrderType.LIMIT or self.request.price > 0:
            return self.request.price
        worst = self.rules.protection(self.request.symbol, self.request.side, self.tick)
        return worst if math.isfinite(worst) else 0.0


class Rule(Protocol):
    @property
    def name(self) -> str: ...  # read-only, so frozen dataclass rules satisfy it

    def check(self, ctx: RiskContext) -> str | None: ...


@dataclass(frozen=True, slots=True)
class PriceRule:
    name: str = "price"

    def check(self, ctx: RiskContext) -> str | None:
        req = ctx.request
        if ctx.tick is not None and ctx.tick.suspended:
            return f"{req.symbol} is suspended today: an order would only rest"
        if req.type is OrderType.MARKET and req.price <= 0:
            return None if ctx.tick is not None else "no quote for a market order"
        if req.price <= 0:
            return "a limit order needs a price above 0"
        if not ctx.rules.on_tick(req.symbol, req.price):
            return f"price {req.price:g} is not on the {ctx.rules.tick_size(req.symbol):g} tick"
        limits = ctx.rules.limits(req.symbol, ctx.now.date(), ctx.tick)
        if limits is not None:
            up, down = limits
            if req.price > up + 1e-9:
                return f"price {req.price:.2f} is above the limit up {up:.2f}"
            if req.price < down - 1e-9:
                return f"price {req.price:.2f} is below the limit down {down:.2f}"
        return None


@dataclass(frozen=True, slots=True)
class LotRule:
    name: str = "lot"

    def check(self, ctx: RiskContext) -> str | None:
        sellable = ctx.position.sellable if ctx.position else 0
        return ctx.rules.lot_problem(ctx.request.symbol, ctx.now.date(), ctx.request.side, ctx.request.qty, sellable)


@dataclass(frozen=True, slots=True)
class SellableRule:
    name: str = "sellable"

    def check(self, ctx: RiskContext) -> str | None:
        if ctx.request.side is not Side.SELL:
            return None
        pos = ctx.position
        sellable = pos.sellable if pos else 0
        if ctx.request.qty <= sellable:
            return None
        if pos and pos.total > sellable + pos.frozen:
            return f"only {sellable} of {pos.total} shares are sellable today (shares bought today settle T+1)"
        return f"only {sellable} shares are sellable"


@dataclass(frozen=True, slots=True)
class MaxOrderRule:
    max_value: float = 1_000_000.0
    max_qty: int = 1_000_000
    name: str = "max_order"

    def check(self, ctx: RiskContext) -> str | None:
        if ctx.request.qty > self.max_qty:
            return f"{ctx.request.qty} shares exceed the limit of {self.max_qty} per order"
        value = ctx.request.qty * ctx.price
        if value > self.max_value:
            return f"order value {value:,.2f} exceeds the limit of {self.max_value:,.2f}"
        return None


@dataclass(frozen=True, slots=True)
class PositionWeightRule:
    max_weight: float = 0.3
    name: str = "position_weight"

    def check(self, ctx: RiskContext) -> str | None:
        if ctx.request.side is not Side.BUY or ctx.account.equity <= 0:
            return None
        held = ctx.position.market_value if ctx.position else 0.0
        # Buys already resting in this name count too: three resting quarters are three quarters.
        symbol = ctx.request.symbol
        resting = sum(
            o.remaining * o.price
            for o in ctx.orders_today
            if o.symbol == symbol and o.side is Side.BUY  # `remaining` is 0 once an order is closed
        )
        weight = (held + resting + ctx.request.qty * ctx.price) / ctx.account.equity
        if weight > self.max_weight + 1e-9:
            return f"{ctx.request.symbol} would be {weight:.1%} of equity, above the limit of {self.max_weight:.0%}"
        return None


@dataclass(frozen=True, slots=True)
class RestrictedRule:
    symbols: frozenset[str] = frozenset()
    name: str = "restricted"

    def check(self, ctx: RiskContext) -> str | None:
        return f"{ctx.request.symbol} is on the restricted list" if ctx.request.symbol in self.symbols else None


@dataclass(frozen=True, slots=True)
class DuplicateRule:
    window_s: float = 5.0
    name: str = "duplicate"

    def check(self, ctx: RiskContext) -> str | None:
        r = ctx.request
        since = ctx.now - dt.timedelta(seconds=self.window_s)
        for o in ctx.orders_today:
            if o.created >= since and (o.symbol, o.side, o.qty, o.price) == (r.symbol, r.side, r.qty, r.price):
                return f"the same order ({o.client_id}) was sent {(ctx.now - o.created).total_seconds():.1f} s ago"
        return None


@dataclass(frozen=True, slots=True)
class RateRule:
    max_orders: int = 10
    window_s: float = 1.0
    name: str = "order_rate"

    def check(self, ctx: RiskContext) -> str | None:
        since = ctx.now - dt.timedelta(seconds=self.window_s)
        # A confirmed batch is one decision: it counts once, however many orders it holds.
        batch = ctx.batch
        recent = sum(1 for o in ctx.orders_today if o.created >= since and o.client_id not in batch)
        if recent >= self.max_orders:
            return f"{recent} orders in the last {self.window_s:g} s (limit {self.max_orders})"
        return None


@dataclass(frozen=True, slots=True)
class DailyCountRule:
    max_orders: int = 500
    name: str = "daily_count"

    def check(self, ctx: RiskContext) -> str | None:
        if len(ctx.orders_today) >= self.max_orders:
            return f"{len(ctx.orders_today)} orders today reach the daily limit of {self.max_orders}"
        return None


@dataclass(frozen=True, slots=True)
class DailyLossRule:
    """Stop buying once today's loss reaches the limit; sells (which reduce risk) still go."""

    max_loss: float = 50_000.0
    name: str = "daily_loss"

    def check(self, ctx: RiskContext) -> str | None:
        loss = ctx.day_start_equity - ctx.account.equity
        if ctx.request.side is Side.BUY and loss >= self.max_loss:
            return f"today's loss {loss:,.2f} reached the stop of {self.max_loss:,.2f}; only sells are allowed"
        return None


@dataclass(frozen=True, slots=True)
class CashRule:
    name: str = "cash"

    def check(self, ctx: RiskContext) -> str | None:
        if ctx.request.side is not Side.BUY:
            return None
        value = ctx.request.qty * ctx.price
        need = value + ctx.rules.fees(ctx.request.symbol, ctx.now.date(), Side.BUY, ctx.price, ctx.request.qty).total
        if need > ctx.account.available + 1e-6:
            return f"needs {need:,.2f} but {ctx.account.available:,.2f} is available"
        return None


@dataclass(frozen=True, slots=True)
class RiskLimits:
    """The parameters of every rule, as the settings and the order ticket show them."""

    max_order_value: float = 1_000_000.0
    max_order_qty: int = 1_000_000
    max_position_weight: float = 0.3
    restricted: tuple[str, ...] = ()
    duplicate_window_s: float = 5.0
    max_orders_per_window: int = 10
    rate_window_s: float = 1.0
    max_orders_per_day: int = 500
    max_daily_loss: float = 50_000.0

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


@dataclass
class RiskEngine:
    limits: RiskLimits = field(default_factory=RiskLimits)
    rules: list[Rule] = field(default_factory=list)

    def __post_init__(self) -> None:
        if not self.rules:
            lim = self.limits
            self.rules = [
                PriceRule(),
                LotRule(),
                SellableRule(),
                CashRule(),
                MaxOrderRule(lim.max_order_value, lim.max_order_qty),
                PositionWeightRule(lim.max_position_weight),
                RestrictedRule(frozenset(lim.restricted)),
                DuplicateRule(lim.duplicate_window_s),
                RateRule(lim.max_orders_per_window, lim.rate_window_s),
                DailyCountRule(lim.max_orders_per_day),
                DailyLossRule(lim.max_daily_loss),
            ]

    def check(self, ctx: RiskContext) -> Verdict:
        """Run every rule (not just until the first refusal) so the user sees all that is wrong at once."""
        refusals = []
        for rule in self.rules:
            reason = rule.check(ctx)
            if reason:
                refusals.append(Refusal(rule.name, reason))
        return Verdict(tuple(refusals), tuple(r.name for r in self.rules))
