"""Threshold-and-confidence strategy with risk limits: enter on strong scores, exit on weak ones or stops."""

from __future__ import annotations

import math

import numpy as np

from core.strategy.base import Decision, Strategy, StrategyContext, target_weights


class ThresholdStrategy(Strategy):
    """Hold names whose score is at least `buy_threshold` and whose confidence reaches `min_confidence`.

    Confidence is the day's cross-sectional percentile of the score (0..1), so it needs no model output
    beyond the score. A holding is sold when its score drops below `sell_threshold`, when the price is
    `stop_loss` below its average cost, or `take_profit` above it. At most `max_positions` names, each at
    most `max_weight` of equity, weighted equally or by score, within `risk_degree` of equity.
    """

    name = "threshold"

    def __init__(
        self,
        buy_threshold: float = 0.0,
        sell_threshold: float | None = None,
        min_confidence: float = 0.0,
        max_positions: int = 20,
        max_weight: float = 0.1,
        stop_loss: float | None = None,
        take_profit: float | None = None,
        weighting: str = "equal",
        risk_degree: float = 0.95,
        tolerance: float = 0.25,
    ) -> None:
        if max_positions < 1 or not 0 < max_weight <= 1:
            raise ValueError("max_positions must be >= 1 and max_weight in (0, 1]")
        if weighting not in ("equal", "score"):
            raise ValueError(f"weighting must be 'equal' or 'score', not {weighting!r}")
        self.buy_threshold = buy_threshold
        self.sell_threshold = buy_threshold if sell_threshold is None else sell_threshold
        self.min_confidence, self.max_positions, self.max_weight = min_confidence, max_positions, max_weight
        self.stop_loss, self.take_profit, self.weighting = stop_loss, take_profit, weighting
        self.risk_degree, self.tolerance = risk_degree, tolerance

    def _stopped(self, ctx: StrategyContext, symbol: str) -> bool:
        cost, price = ctx.cost_basis.get(symbol, 0.0), ctx.price(symbol)
        if cost <= 0 or math.isnan(price):
            return False
        change = price / cost - 1
        return (self.stop_loss is not None and change <= -self.stop_loss) or (
            self.take_profit is not None and change >= self.take_profit
        )

    def decide(self, ctx: StrategyContext) -> Decision:
        scores = ctx.scores
        valid = ~np.isnan(scores)
        confidence = np.full(len(scores), np.nan)
        if valid.any():
            ranks = scores[valid].argsort().argsort()
            confidence[valid] = (ranks + 1) / valid.sum()
        conf = dict(zip(ctx.symbols, confidence, strict=True))
        keep = [
            s
            for s in ctx.holdings
            if not math.isnan(ctx.score(s)) and ctx.score(s) >= self.sell_threshold and not self._stopped(ctx, s)
        ]
        keep.sort(key=lambda s: -ctx.score(s))
        keep = keep[: self.max_positions]
        order = np.argsort(-np.where(valid, scores, -np.inf), kind="stable")
        new: list[str] = []
        for j in order[: int(valid.sum())]:
            if len(keep) + len(new) >= self.max_positions:
                break
            s = ctx.symbols[j]
            if s in ctx.holdings or scores[j] < self.buy_threshold or conf[s] < self.min_confidence:
                continue
            if self._stopped(ctx, s) or not ctx.tradable(s, False):
                continue
            new.append(s)
        chosen = keep + new
        weights = target_weights(
            chosen, [ctx.score(s) for s in chosen], self.weighting, self.max_weight, self.risk_degree
        )
        return Decision(targets=weights, tolerance=self.tolerance)
