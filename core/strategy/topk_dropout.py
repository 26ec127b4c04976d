"""TopkDropout with Qlib's semantics: hold the top k, each day swap up to n_drop of the worst held."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from core.domain.symbols import SymbolFormatError, parse_symbol
from core.strategy.base import Decision, Strategy, StrategyContext

TIES = ("code", "qlib")


class TopkDropoutStrategy(Strategy):
    """Qlib's `TopkDropoutStrategy` (method_sell='bottom', method_buy='top').

    The held names are ranked by today's score; the best `n_drop + topk - held` new names are candidates;
    the held names among the `n_drop` worst of both together are sold (if tradable and held at least
    `hold_thresh` days), and as many of the best candidates are bought as keep `topk` names, each with an
    equal share of `risk_degree` of the cash after the sells.

    Equal scores: `ties="code"` (the default) ranks by score descending, then instrument code ascending
    (`000001.SZ` before `600000.SH`), names without a score last; the result does not depend on the order
    the names arrive in. `ties="qlib"` reproduces Qlib's order instead (pandas' unstable sort over Qlib's
    instrument codes), for reconciling with qlib.backtest.
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
        ties: str = "code",
    ) -> None:
        if topk < 1 or n_drop < 0 or n_drop > topk:
            raise ValueError(f"topk must be >= 1 and 0 <= n_drop <= topk (got topk={topk}, n_drop={n_drop})")
        if not 0 < risk_degree <= 1:
            raise ValueError(f"risk_degree must be in (0, 1], got {risk_degree}")
        if ties not in TIES:
            raise ValueError(f"ties must be one of {', '.join(TIES)}, not {ties!r}")
        self.topk, self.n_drop, self.hold_thresh = topk, n_drop, hold_thresh
        self.risk_degree, self.only_tradable = risk_degree, only_tradable
        self.forbid_all = forbid_all_trade_at_limit
        self.ties = ties
        self._qlib_names: dict[str, str] = {}
        self._symbols: object = None
        self._code_rank: np.ndarray = np.empty(0, dtype=np.int64)

    def _tradable(self, ctx: StrategyContext, symbol: str, sell: bool) -> bool:
        return ctx.tradable(symbol, None if self.forbid_all else sell)

    def _qlib_name(self, symbol: str) -> str:
        name = self._qlib_names.get(symbol)
        if name is None:
            try:
                name = parse_symbol(symbol).qlib_code
            except SymbolFormatError:
                name = symbol
            self._qlib_names[symbol] = name
        return name

    def _ranks(self, symbols: Sequence[str]) -> np.ndarray:
        # The engine passes the same symbol list every day: rank the codes once.
        if symbols is not self._symbols:
            self._symbols = symbols
            self._code_rank = np.argsort(np.argsort(np.asarray(symbols, dtype=object), kind="stable"))
        return self._code_rank

    def decide(self, ctx: StrategyContext) -> Decision:
        last, today, worst = self._qlib_lists(ctx) if self.ties == "qlib" else self._lists(ctx)
        sell = [s for s in last if s in worst]
        buy = today[: len(sell) + self.topk - len(last)]
        sells: dict[str, int | None] = {}
        for symbol in ctx.holdings:
            if symbol in worst and self._tradable(ctx, symbol, True):
                if self.hold_thresh > ctx.held_days.get(symbol, 0):
                    continue
                sells[symbol] = None
        share = self.risk_degree / len(buy) if buy else 0.0
        buys = {s: share for s in buy if self._tradable(ctx, s, False)}
        return Decision(sells=sells, buys=buys)

    def _key(self, ctx: StrategyContext, symbol: str) -> tuple[int, float, str]:
        s = ctx.score(symbol)
        return (1, 0.0, symbol) if math.isnan(s) else (0, -s, symbol)  # no score: last, like pandas

    def _want(self, held: int) -> int:
        return max(self.n_drop + self.topk - held, 0)

    def _first_tradable(self, ctx: StrategyContext, names: Sequence[str], n: int) -> list[str]:
        if not self.only_tradable:
            return list(names[:n])
        out: list[str] = []
        for symbol in names:
            if len(out) >= n:
                break
            if self._tradable(ctx, symbol, False):
                out.append(symbol)
        return out

    def _lists(self, ctx: StrategyContext) -> tuple[list[str], list[str], set[str]]:
        held = list(ctx.holdings)
        last = sorted(held, key=lambda s: self._key(ctx, s))
        # Candidates in numpy: every scored name not held, best first, then by code; this is the hot path.
        scores = np.asarray(ctx.scores, dtype=float)
        free = ~np.isnan(scores)
        for symbol in held:
            j = ctx.index.get(symbol)
            if j is not None:
                free[j] = False
        order = np.flatnonzero(free)
        order = order[np.lexsort((self._ranks(ctx.symbols)[order], -scores[order]))]
        want = self._want(len(last))
        names = [ctx.symbols[j] for j in order[: want if not self.only_tradable else len(order)]]
        today = self._first_tradable(ctx, names, want)
        comb = sorted(last + today, key=lambda s: self._key(ctx, s))
        return last, today, set(comb[-self.n_drop :]) if self.n_drop else set()

    def _qlib_lists(self, ctx: StrategyContext) -> tuple[list[str], list[str], set[str]]:
        """Qlib's `last`, `today` and the `n_drop` worst of both, sorted as pandas sorts them in Qlib."""
        import pandas as pd

        scores = np.asarray(ctx.scores, dtype=float)
        scored = np.flatnonzero(~np.isnan(scores))
        names = {self._qlib_name(ctx.symbols[j]): ctx.symbols[j] for j in scored}
        for symbol in ctx.holdings:
            names.setdefault(self._qlib_name(symbol), symbol)
        # Qlib's signal for a day is indexed by its instrument codes in sorted order.
        pred = pd.Series(scores[scored], index=[self._qlib_name(ctx.symbols[j]) for j in scored]).sort_index()
        last = pred.reindex([self._qlib_name(s) for s in ctx.holdings]).sort_values(ascending=False).index
        fresh = pred[~pred.index.isin(last)].sort_values(ascending=False).index
        today = self._first_tradable(ctx, [names[c] for c in fresh], self._want(len(last)))
        union = last.union(pd.Index([self._qlib_name(s) for s in today]))
        comb = pred.reindex(union).sort_values(ascending=False).index
        worst = {names[c] for c in comb[-self.n_drop :]} if self.n_drop else set()
        return [names[c] for c in last], today, worst
