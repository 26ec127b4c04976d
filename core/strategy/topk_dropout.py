"""TopkDropout with Qlib's semantics: hold the top k, each day swap up to n_drop of the worst held."""

from __future__ import annotations

import math

import numpy as np

from core.domain.symbols import SymbolFormatError, parse_symbol
from core.strategy.base import Decision, Strategy, StrategyContext


class TopkDropoutStrategy(Strategy):
    """Qlib's `TopkDropoutStrategy` (method_sell='bottom', method_buy='top').

    The held names are ranked by today's score; the best `n_drop + topk - held` new names are candidates;
    the held names among the `n_drop` worst of both together are sold (if tradable and held at least
    `hold_thresh` days), and as many of the best candidates are bought as keep `topk` names, each with an
    equal share of `risk_degree` of the cash after the sells.
    """

    name = "topk"

    def __init__(
        self,
        topk: int = 50,
        n_drop: int = 5,
        hold_thresh: int = 1,
        risk_degree: float = 0.95,
        only_tradable: bool = False,
        forbid_all_trade_at_limit: bool = True,
    ) -> None:
        if topk < 1 or n_drop < 0 or n_drop > topk:
            raise ValueError(f"topk must be >= 1 and 0 <= n_drop <= topk (got topk={topk}, n_drop={n_drop})")
        if not 0 < risk_degree <= 1:
            raise ValueError(f"risk_degree must be in (0, 1], got {risk_degree}")
        self.topk, self.n_drop, self.hold_thresh = topk, n_drop, hold_thresh
        self.risk_degree, self.only_tradable = risk_degree, only_tradable
        self.forbid_all = forbid_all_trade_at_limit
        self._qlib_names: dict[str, str] = {}

    def _tradable(self, ctx: StrategyContext, symbol: str, sell: bool) -> bool:
        return ctx.tradable(symbol, None if self.forbid_all else sell)

    def _tie_name(self, symbol: str) -> str:
        # Qlib orders unscored names by its own code spelling (SH600000) when it drops them; so do we.
        name = self._qlib_names.get(symbol)
        if name is None:
            try:
                name = parse_symbol(symbol).qlib_code
            except SymbolFormatError:
                name = symbol
            self._qlib_names[symbol] = name
        return name

    def decide(self, ctx: StrategyContext) -> Decision:
        def key(symbol: str) -> tuple[int, float, str]:
            s = ctx.score(symbol)
            return (1, 0.0, self._tie_name(symbol)) if math.isnan(s) else (0, -s, symbol)  # NaN last, like pandas

        held = list(ctx.holdings)
        last = sorted(held, key=key)
        # Candidates in numpy: every scored name not held, best first (ties by code); this is the hot path.
        scores = np.asarray(ctx.scores, dtype=float)
        free = ~np.isnan(scores)
        for symbol in held:
            j = ctx.index.get(symbol)
            if j is not None:
                free[j] = False
        order = np.flatnonzero(free)
        order = order[np.argsort(-scores[order], kind="stable")]
        want = max(self.n_drop + self.topk - len(last), 0)
        if self.only_tradable:
            today: list[str] = []
            for j in order:
                if len(today) >= want:
                    break
                if self._tradable(ctx, ctx.symbols[j], False):
                    today.append(ctx.symbols[j])
        else:
            today = [ctx.symbols[j] for j in order[:want]]
        comb = sorted(last + today, key=key)
        worst = set(comb[-self.n_drop :]) if self.n_drop else set()
        sell = [s for s in last if s in worst]
        buy = today[: len(sell) + self.topk - len(last)]
        sells: dict[str, int | None] = {}
        for symbol in held:
            if symbol in worst and self._tradable(ctx, symbol, True):
                if self.hold_thresh > ctx.held_days.get(symbol, 0):
                    continue
                sells[symbol] = None
        share = self.risk_degree / len(buy) if buy else 0.0
        buys = {s: share for s in buy if self._tradable(ctx, s, False)}
        return Decision(sells=sells, buys=buys)
