"""TopkDropout against a hand-computed sequence; threshold strategy risk limits; loading a user strategy file."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from core.strategy.base import StrategyContext, target_weights
from core.strategy.loader import StrategyLoadError, load_strategy
from core.strategy.threshold import ThresholdStrategy
from core.strategy.topk_dropout import TopkDropoutStrategy

SYMBOLS = ["A", "B", "C", "D"]


def ctx(
    scores: dict[str, float],
    holdings: dict[str, int] | None = None,
    held_days: dict[str, int] | None = None,
    cost: dict[str, float] | None = None,
    prices: dict[str, float] | None = None,
    untradable: frozenset[str] = frozenset(),
) -> StrategyContext:
    holdings = holdings or {}
    return StrategyContext(
        dt.date(2020, 1, 2),
        SYMBOLS,
        np.array([scores.get(s, np.nan) for s in SYMBOLS]),
        np.array([(prices or {}).get(s, 10.0) for s in SYMBOLS]),
        holdings,
        held_days or dict.fromkeys(holdings, 1),
        cost or {},
        1e6,
        2e6,
        lambda s, sell: s not in untradable,
        {s: j for j, s in enumerate(SYMBOLS)},
    )


def test_topk_dropout_follows_the_hand_computed_sequence() -> None:
    s = TopkDropoutStrategy(topk=2, n_drop=1, risk_degree=0.95)
    # Day 1, nothing held: candidates A, B, C (n_drop + topk); buy the best two.
    d1 = s.decide(ctx({"A": 0.9, "B": 0.8, "C": 0.7, "D": 0.1}))
    assert d1.sells == {} and d1.buys == {"A": 0.475, "B": 0.475}
    # Day 2, holding A, B: A fell to the bottom of {D, B, A}: sell A, buy D.
    d2 = s.decide(ctx({"A": 0.2, "B": 0.8, "C": 0.7, "D": 0.9}, {"A": 100, "B": 100}))
    assert d2.sells == {"A": None} and d2.buys == {"D": 0.95}
    # Day 3, holding B, D: B is the worst of {A, D, B}: sell B, buy A.
    d3 = s.decide(ctx({"A": 0.6, "B": 0.1, "C": 0.3, "D": 0.5}, {"B": 100, "D": 100}))
    assert d3.sells == {"B": None} and d3.buys == {"A": 0.95}
    # A held name without a score ranks last and is dropped first.
    d4 = s.decide(ctx({"A": 0.6, "C": 0.3, "D": 0.5}, {"B": 100, "D": 100}))
    assert d4.sells == {"B": None} and d4.buys == {"A": 0.95}


def test_topk_dropout_hold_threshold_and_untradable_names() -> None:
    held = {"B": 100, "D": 100}
    scores = {"A": 0.6, "B": 0.1, "C": 0.3, "D": 0.5}
    young = TopkDropoutStrategy(topk=2, n_drop=1, hold_thresh=2).decide(ctx(scores, held, {"B": 1, "D": 5}))
    assert young.sells == {} and young.buys == {"A": 0.95}  # Qlib still buys: the slot is counted as freed
    stuck = TopkDropoutStrategy(topk=2, n_drop=1).decide(ctx(scores, held, untradable=frozenset({"B"})))
    assert stuck.sells == {}
    with pytest.raises(ValueError, match="n_drop"):
        TopkDropoutStrategy(topk=2, n_drop=3)


def test_threshold_strategy_respects_risk_limits() -> None:
    s = ThresholdStrategy(
        buy_threshold=0.5,
        sell_threshold=0.3,
        max_positions=2,
        max_weight=0.3,
        stop_loss=0.1,
        take_profit=0.5,
        min_confidence=0.5,
    )
    d = s.decide(ctx({"A": 0.9, "B": 0.8, "C": 0.6, "D": 0.2}))
    assert d.targets == {"A": 0.3, "B": 0.3}  # capped at max_weight, at most two names
    # B is held at a 12% loss: the stop-loss drops it even though its score is high; C takes the slot.
    d = s.decide(
        ctx(
            {"A": 0.9, "B": 0.8, "C": 0.6, "D": 0.2},
            {"A": 100, "B": 100},
            cost={"A": 10.0, "B": 10.0},
            prices={"A": 10.5, "B": 8.8},
        )
    )
    assert set(d.targets or {}) == {"A", "C"}
    # A is up 60%: take profit. D's confidence is its percentile, 2 of 4 = 0.5: just enough.
    d = s.decide(ctx({"A": 0.9, "B": 0.1, "C": 0.6, "D": 0.55}, {"A": 100}, cost={"A": 10.0}, prices={"A": 16.0}))
    assert set(d.targets or {}) == {"C", "D"}
    s.min_confidence = 0.6
    d = s.decide(ctx({"A": 0.9, "B": 0.1, "C": 0.6, "D": 0.55}, {"A": 100}, cost={"A": 10.0}, prices={"A": 16.0}))
    assert set(d.targets or {}) == {"C"}


def test_score_weighted_targets_sum_to_the_budget() -> None:
    w = target_weights(["A", "B", "C"], [3.0, 2.0, 1.0], "score", max_weight=1.0, total=0.9)
    assert sum(w.values()) == pytest.approx(0.9) and w["A"] > w["B"] > w["C"] > 0
    assert target_weights(["A", "B"], [1.0, 2.0], "equal", max_weight=0.4) == {"A": 0.4, "B": 0.4}


def test_user_strategy_file_is_loaded_and_errors_name_the_line(tmp_path: Path) -> None:
    good = tmp_path / "mine.py"
    good.write_text(
        "from core.strategy.base import Decision, Strategy\n"
        "class BuyBest(Strategy):\n"
        "    name = 'best'\n"
        "    def __init__(self, topk=1):\n"
        "        self.topk = topk\n"
        "    def decide(self, ctx):\n"
        "        best = ctx.score_series().sort_values(ascending=False).index[: self.topk]\n"
        "        return Decision(targets={s: 1.0 / self.topk for s in best})\n",
        encoding="utf-8",
    )
    strategy = load_strategy(str(good), {"topk": 2, "n_drop": 5})  # parameters it does not take are ignored
    assert strategy.decide(ctx({"A": 0.1, "B": 0.5, "C": 0.3})).targets == {"B": 0.5, "C": 0.5}
    bad = tmp_path / "bad.py"
    bad.write_text("x = 1\nraise RuntimeError('boom')\n", encoding="utf-8")
    with pytest.raises(StrategyLoadError, match=r"bad\.py:2: RuntimeError: boom"):
        load_strategy(str(bad))
    with pytest.raises(StrategyLoadError, match="unknown strategy"):
        load_strategy("nope")
    with pytest.raises(StrategyLoadError, match="found 0"):
        (tmp_path / "empty.py").write_text("x = 1\n", encoding="utf-8")
        load_strategy(str(tmp_path / "empty.py"))
