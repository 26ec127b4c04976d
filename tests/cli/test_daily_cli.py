"""`qdesk predict` and `qdesk signals`: scores by extension, the next session's plan; bad input exits 2 in one line."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from app.cli import main
from core.domain.orders import Order, OrderStatus, OrderType, Position, Side
from core.trading.store import TRADING_FILE, TradingStore
from tests.core.research.slices import Slice, build_slice, train_tiny_lightgbm


@pytest.fixture(scope="module")
def trained(cn_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Slice, str]:
    s = build_slice(cn_data, tmp_path_factory.mktemp("predict"), count=8, start="2010-06-01", end="2012-01-31")
    return s, train_tiny_lightgbm(s, count=8, seed=1)


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_predict_writes_scores_by_extension(
    trained: tuple[Slice, str], tmp_path: Path, suffix: str, capsys: pytest.CaptureFixture[str]
) -> None:
    s, run_id = trained
    out = tmp_path / f"scores{suffix}"
    argv = ["--data-dir", str(s.data_dir), "predict", "--run", run_id, "--start", "2012-01-04", "--out", str(out)]
    assert main(argv) == 0
    frame = pd.read_csv(out) if suffix == ".csv" else pd.read_parquet(out)
    assert list(frame.columns) == ["datetime", "instrument", "score"]
    assert frame["datetime"].min() == "2012-01-04" and frame["datetime"].max() == "2012-01-31"
    assert set(frame["instrument"]) == set(s.symbols[:8])
    assert f"run {run_id}: scored {len(frame)} rows" in capsys.readouterr().out


def test_predict_refuses_bad_input(
    trained: tuple[Slice, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s, run_id = trained
    cases = [
        (["predict", "--run", "nope"], "no run 'nope'"),
        (["predict", "--run", run_id, "--out", str(tmp_path / "x.xlsx")], ".csv or .parquet"),
        (["predict", "--run", run_id, "--end", "2012-02-30"], "bad --end"),
    ]
    for argv, message in cases:
        assert main(["--data-dir", str(s.data_dir), *argv]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and message in err[0]


def _signals(s: Slice, *argv: str) -> list[str]:
    return ["--data-dir", str(s.data_dir), "signals", *argv]


def test_signals_plans_the_next_trading_day_from_a_positions_file(
    trained: tuple[Slice, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s, run_id = trained
    held = s.symbols[0]
    positions = tmp_path / "pos.csv"
    positions.write_text(f"symbol,shares\n{held},1000\n", encoding="utf-8")
    out = tmp_path / "plan.csv"
    argv = _signals(s, "--run", run_id, "--topk", "3", "--n-drop", "1", "--positions", str(positions))
    assert main([*argv, "--cash", "300000", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    # The store ends on Tuesday 2012-01-31: the plan is for Wednesday 2012-02-01.
    assert "Signals of 2012-01-31" in captured.out and "orders for 2012-02-01" in captured.out
    assert "warning: the store ends 2012-01-31" in captured.err  # far behind the last completed session
    plan = pd.read_csv(out)
    assert set(plan["session"]) == {"2012-02-01"} and (plan["shares"] % 100 == 0).all()
    buys = plan[plan["side"] == "buy"]
    assert (buys["value"] + buys["fees"]).sum() <= 300_000
    assert ((plan["limit_down"] < plan["price"]) & (plan["price"] < plan["limit_up"])).all()


def test_signals_plans_against_the_paper_accounts_available_cash(
    trained: tuple[Slice, str], capsys: pytest.CaptureFixture[str]
) -> None:
    s, run_id = trained
    store = TradingStore(s.data_dir / TRADING_FILE)
    now = dt.datetime(2012, 1, 31, 14, 0)
    buy = Order("b1", s.symbols[1], Side.BUY, OrderType.LIMIT, 100, 10.0, OrderStatus.SUBMITTED, now, now)
    sell = Order("s1", s.symbols[2], Side.SELL, OrderType.LIMIT, 500, 10.0, OrderStatus.SUBMITTED, now, now)
    try:
        store.save(
            orders=[(buy, 400_000.0), (sell, 0.0)],
            positions=[Position(s.symbols[2], 500, 0, 9.0, 9.5, 500)],
            state={"cash": 500_000.0, "day": "2012-01-31", "day_start_equity": 504_750.0},
        )
    finally:
        store.close()
    try:
        assert main(_signals(s, "--run", run_id, "--topk", "2", "--n-drop", "1", "--account", "paper")) == 0
        out = capsys.readouterr().out
        assert "Account (paper): cash available 100,000.00, 1 holdings, 2 open orders" in out
        assert f"open sell {s.symbols[2]}" in out
        spent = sum(float(line.split()[4].replace(",", "")) for line in out.splitlines() if line.startswith("buy "))
        assert 0 < spent <= 100_000
        # Its shares are all in the open sell: the plan never sells them a second time.
        assert not any(line.startswith(f"sell {s.symbols[2]}") for line in out.splitlines())
    finally:
        (s.data_dir / TRADING_FILE).unlink()


def test_signals_refuses_stale_days_and_bad_positions(
    trained: tuple[Slice, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    s, run_id = trained
    bad = {
        "neg.csv": (f"symbol,shares\n{s.symbols[0]},-100\n", "neg.csv:2: shares"),
        "dup.csv": (f"symbol,shares\n{s.symbols[0]},100\n{s.symbols[0]},200\n", "dup.csv:3: symbol"),
        "unknown.csv": ("symbol,shares\n601988.SH,100\n", "unknown.csv:2: symbol: 601988.SH has no bars"),
        "cols.csv": ("code,qty\n600000.SH,100\n", "cols.csv:1: missing column(s) shares, symbol"),
    }
    cases: list[tuple[list[str], str]] = [
        (["--run", run_id, "--date", "2012-01-30"], "older than the store's newest day 2012-01-31"),
        (["--run", run_id, "--positions", str(tmp_path / "neg.csv")], "--positions needs --cash"),
        (["--run", run_id, "--positions", str(tmp_path / "neg.csv"), "--cash", "-5"], "neg.csv:2: shares"),
    ]
    for name, (text, message) in bad.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
        cases.append((["--run", run_id, "--positions", str(tmp_path / name), "--cash", "1000"], message))
    cases.append((["--run", run_id, "--positions", str(tmp_path / "cols.csv"), "--cash", "-1"], "cols.csv:1"))
    for argv, message in cases:
        assert main(_signals(s, *argv)) == 2, argv
        err = [line for line in capsys.readouterr().err.strip().splitlines() if line.startswith("qdesk: error")]
        assert len(err) == 1 and message in err[0], (argv, err)
