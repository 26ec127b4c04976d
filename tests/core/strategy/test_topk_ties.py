"""TopkDropout with equal scores: score then code by default, whatever the arrival order; Qlib's order on request."""

from __future__ import annotations

import datetime as dt
import random

import numpy as np
import pandas as pd
import pytest

from core.strategy.base import StrategyContext
from core.strategy.topk_dropout import TopkDropoutStrategy

CODES = [f"{600000 + k:06d}.SH" for k in range(0, 40, 2)] + [f"{k:06d}.SZ" for k in range(1, 21)]


def _ctx(symbols: list[str], scores: dict[str, float], holdings: dict[str, int]) -> StrategyContext:
    return StrategyContext(
        dt.date(2020, 1, 2),
        symbols,
        np.array([scores.get(s, np.nan) for s in symbols]),
        np.full(len(symbols), 10.0),
        holdings,
        dict.fromkeys(holdings, 5),
        {},
        1e6,
        2e6,
        lambda s, sell: True,
        {s: j for j, s in enumerate(symbols)},
    )


def test_equal_scores_rank_by_code_whatever_the_order_of_arrival() -> None:
    scores = {s: round(k % 3 * 0.1, 1) for k, s in enumerate(CODES)}  # three scores shared by many names
    held = {"600002.SH": 100, "000003.SZ": 100, "600010.SH": 100}
    ref = None
    for seed in range(5):
        symbols = CODES[:]
        random.Random(seed).shuffle(symbols)
        d = TopkDropoutStrategy(topk=5, n_drop=2).decide(_ctx(symbols, scores, held))
        got = (list(d.sells), list(d.buys))
        ref = ref or got
        assert got == ref
    # The best candidates: score 0.2 first, then code ascending (000001.SZ < 600000.SH).
    best = sorted((s for s in CODES if s not in held), key=lambda s: (-scores[s], s))
    assert ref is not None and list(ref[1]) == best[: len(ref[1])]
    worst = sorted(held, key=lambda s: (-scores[s], s))[-2:]
    assert set(ref[0]) <= set(worst) | set(held)


def _qlib_reference(scores: dict[str, float], held: list[str], topk: int, n_drop: int) -> tuple[set[str], list[str]]:
    """The lines of Qlib 0.9's TopkDropoutStrategy.generate_trade_decision on a day's signal indexed by Qlib codes
    (SH600000); qlib.backtest itself is the reference in tests/core/backtest/test_qlib_reconcile.py."""

    def q(s: str) -> str:
        return s[-2:] + s[:6]

    pred = pd.Series({q(s): v for s, v in scores.items()}).sort_index()
    last = pred.reindex([q(s) for s in held]).sort_values(ascending=False).index
    today = list(pred[~pred.index.isin(last)].sort_values(ascending=False).index[: n_drop + topk - len(last)])
    comb = pred.reindex(last.union(pd.Index(today))).sort_values(ascending=False).index
    sell = last[last.isin(list(comb[-n_drop:]))]
    buy = today[: len(sell) + topk - len(last)]
    back = {q(s): s for s in scores}
    return {back[c] for c in sell}, [back[c] for c in buy]


@pytest.mark.parametrize("seed", range(4))
def test_qlib_ties_mode_reproduces_qlibs_order(seed: int) -> None:
    rng = random.Random(seed)
    scores = {s: rng.choice([0.0, 0.01, 0.02, 0.03]) for s in CODES}  # ties everywhere
    held = rng.sample(CODES, 8)
    symbols = sorted(CODES)
    d = TopkDropoutStrategy(topk=8, n_drop=3, ties="qlib").decide(_ctx(symbols, scores, dict.fromkeys(held, 100)))
    sell, buy = _qlib_reference(scores, held, 8, 3)
    assert set(d.sells) == sell and list(d.buys) == buy


def test_unknown_tie_rule_is_refused() -> None:
    with pytest.raises(ValueError, match="ties must be one of code, qlib"):
        TopkDropoutStrategy(ties="random")
