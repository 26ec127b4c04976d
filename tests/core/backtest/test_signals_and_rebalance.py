"""Signal files (csv, parquet, stored runs) with precise errors; today's rebalance orders after the rules."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from core.backtest.signals import SignalError, read_signal_file, signals_from_run
from core.research.registry import RunRegistry
from core.rules.lots import round_buy
from core.storage import MarketStore
from core.strategy.rebalance import plan_rebalance
from core.strategy.topk_dropout import TopkDropoutStrategy
from tests.core.backtest.fixtures import SYMBOLS, momentum_signals


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_csv_with_qlib_codes_is_normalised(tmp_path: Path) -> None:
    f = write(
        tmp_path / "s.csv",
        [
            "datetime,instrument,score",
            "2020-01-02,SH600000,0.5",
            "2020-01-02,000001.SZ,-0.1",
            "2020-01-03 00:00:00,sz000002,",
        ],
    )
    sig = read_signal_file(f)
    assert list(sig.index) == [(pd.Timestamp("2020-01-02"), "000001.SZ"), (pd.Timestamp("2020-01-02"), "600000.SH")]
    assert sig["score"].tolist() == [-0.1, 0.5]  # the empty score is dropped


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ("2020-13-02,600000.SH,0.1", r"s\.csv:3: field 'datetime': not a date"),
        ("2020-01-03,600000.XX,0.1", r"s\.csv:3: field 'instrument': unknown exchange"),
        ("2020-01-03,600000.SH,abc", r"s\.csv:3: field 'score': not a number"),
        ("2020-01-02,600000.SH,0.2", r"s\.csv:3: repeated row for 600000.SH on 2020-01-02"),
    ],
)
def test_bad_rows_name_file_line_and_field(tmp_path: Path, row: str, message: str) -> None:
    f = write(tmp_path / "s.csv", ["datetime,instrument,score", "2020-01-02,600000.SH,0.1", row])
    with pytest.raises(SignalError, match=message):
        read_signal_file(f)


def test_missing_column_and_parquet(tmp_path: Path) -> None:
    with pytest.raises(SignalError, match="no score column"):
        read_signal_file(write(tmp_path / "s.csv", ["date,code,value", "2020-01-02,600000.SH,1"]))
    frame = pd.DataFrame(
        {"score": [0.3, 0.1]},
        index=pd.MultiIndex.from_tuples(
            [(pd.Timestamp("2020-01-02"), "SH600000"), (pd.Timestamp("2020-01-02"), "SZ000001")],
            names=["datetime", "instrument"],
        ),
    )
    frame.to_parquet(tmp_path / "s.parquet")
    assert read_signal_file(tmp_path / "s.parquet")["score"].to_dict() == {
        (pd.Timestamp("2020-01-02"), "000001.SZ"): 0.1,
        (pd.Timestamp("2020-01-02"), "600000.SH"): 0.3,
    }


def test_predictions_of_a_registered_run(tmp_path: Path, real_store: MarketStore) -> None:
    sig = momentum_signals(real_store, SYMBOLS[:3], "2020-01-01", "2020-02-28")
    preds = sig.copy()
    preds.index = preds.index.set_levels([f"{s[-2:]}{s[:6]}" for s in preds.index.levels[1]], level=1)
    registry = RunRegistry(tmp_path)
    model = registry.run_dir("run-1") / "model.bin"
    model.parent.mkdir(parents=True)
    model.write_bytes(b"m")
    registry.record("run-1", {"model": "lgb"}, {"ic": 0.0}, preds, model, ("2020-01-01", "2020-02-28"))
    got = signals_from_run("run-1", tmp_path)
    pd.testing.assert_series_equal(got["score"], sig["score"], check_names=False)
    with pytest.raises(SignalError, match="no run 'nope'"):
        signals_from_run("nope", tmp_path)


def test_rebalance_orders_respect_lots_t1_and_cash(real_store: MarketStore) -> None:
    sig = momentum_signals(real_store, SYMBOLS, "2020-10-01", "2020-12-31")
    latest = sig.xs(pd.Timestamp("2020-12-31"), level=0)["score"].sort_values(ascending=False)
    worst = latest.index[-1]
    holdings = {worst: 1050, latest.index[0]: 300}  # an odd lot from a bonus issue; one name already held
    strategy = TopkDropoutStrategy(topk=3, n_drop=1)
    plan = plan_rebalance(real_store, sig, strategy, holdings, cash=500_000.0)
    assert plan.signal_day == dt.date(2020, 12, 31) and plan.ranked[0][0] == latest.index[0]
    sells = [o for o in plan.orders if o.side == "sell"]
    assert [(o.symbol, o.shares) for o in sells] == [(worst, 1050)]  # the odd lot goes with the rest
    buys = [o for o in plan.orders if o.side == "buy"]
    assert {o.symbol for o in buys} == set(latest.index[1:3])
    for o in buys:
        assert o.shares == round_buy(o.symbol, dt.date(2021, 1, 4), o.shares) and o.shares % 100 == 0
        assert o.limit_up is not None and o.limit_down is not None and o.limit_down < o.price < o.limit_up
    assert plan.cash_after >= 0 and set(plan.targets) == {latest.index[0], *latest.index[1:3]}
    # Shares bought today cannot be sold in the same session: the sell is refused by T+1.
    plan = plan_rebalance(
        real_store,
        sig,
        TopkDropoutStrategy(topk=3, n_drop=1, hold_thresh=0),
        holdings,
        500_000.0,
        bought_today={worst: 1050},
    )
    assert (worst, "sell", "t_plus_1") in plan.refused
