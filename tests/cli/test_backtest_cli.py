"""`python main.py backtest ...` end to end: real processes over a real store, report files, one-line errors."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from core.paths import store_path
from core.storage import MarketStore
from tests.core.backtest.fixtures import momentum_signals

REPO = Path(__file__).resolve().parents[2]
SYMBOLS = ("600000.SH", "000001.SZ", "600519.SH", "300750.SZ", "601318.SH", "000002.SZ")


def qdesk(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "QDESK_DATA_DIR"}
    return subprocess.run(
        [sys.executable, str(REPO / "main.py"), "--data-dir", str(data_dir), *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture(scope="module")
def data_dir(tmp_path_factory: pytest.TempPathFactory, cn_data: Path) -> Path:
    data = tmp_path_factory.mktemp("cli") / "data"
    files = [str(cn_data / "daily" / f"{s}.csv") for s in SYMBOLS] + [str(cn_data / "index/daily/000300.SH.csv")]
    result = qdesk(data, "data", "import", *files)
    assert result.returncode == 0, result.stderr
    store = MarketStore.open(store_path(data))
    momentum_signals(store, SYMBOLS, "2019-10-01", "2020-12-31").reset_index().to_csv(data / "sig.csv", index=False)
    store.close()
    return data


def test_backtest_prints_metrics_and_writes_the_report(data_dir: Path, tmp_path: Path) -> None:
    result = qdesk(
        data_dir,
        "backtest",
        "--signals",
        str(data_dir / "sig.csv"),
        "--strategy",
        "topk",
        "--topk",
        "3",
        "--n-drop",
        "1",
        "--start",
        "2020-01-02",
        "--end",
        "2020-12-31",
        "--deal-price",
        "close",
        "--annualization",
        "238",
        "--report",
        str(tmp_path / "rep"),
    )
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "Backtest topk 2020-01-02 → 2020-12-31, deal price close, mode honest: 243 trading days" in out
    assert "(annualized over 238 days a year)" in out and "IC basis: score of day t vs the close(t+1)" in out
    names = ("total_return", "sharpe", "max_drawdown", "information_ratio", "rank_ic", "refused orders", "skipped by")
    for name in (*names, "excess_annualized"):
        assert name in out
    daily = pd.read_csv(tmp_path / "rep" / "daily.csv")
    assert len(daily) == 243 and (tmp_path / "rep" / "report.html").stat().st_size > 10_000
    total = next(ln for ln in out.splitlines() if ln.strip().startswith("total_return")).split()[-1]
    assert total == f"{daily['equity'].iloc[-1] / 1e7 - 1:.2%}"


def test_user_strategy_file_and_rebalance(data_dir: Path, tmp_path: Path) -> None:
    mine = tmp_path / "best2.py"
    mine.write_text(
        "from core.strategy.base import Decision, Strategy\n"
        "class BestTwo(Strategy):\n"
        "    name = 'best2'\n"
        "    def decide(self, ctx):\n"
        "        best = ctx.score_series().nlargest(2).index\n"
        "        return Decision(targets={s: 0.45 for s in best}, tolerance=0.2)\n",
        encoding="utf-8",
    )
    result = qdesk(
        data_dir,
        "backtest",
        "--signals",
        str(data_dir / "sig.csv"),
        "--strategy",
        str(mine),
        "--start",
        "2020-06-01",
        "--end",
        "2020-08-31",
    )
    assert result.returncode == 0, result.stderr
    assert "Backtest best2 2020-06-01" in result.stdout
    positions = write(tmp_path / "pos.csv", ["symbol,shares", "600000.SH,1050"])
    plan = qdesk(
        data_dir,
        "backtest",
        "--signals",
        str(data_dir / "sig.csv"),
        "--topk",
        "2",
        "--n-drop",
        "1",
        "--rebalance",
        "--positions",
        str(positions),
        "--cash",
        "1000000",
    )
    assert plan.returncode == 0, plan.stderr
    assert "Signals of 2020-12-31" in plan.stdout and "Holdings after:" in plan.stdout
    orders = [ln.split() for ln in plan.stdout.splitlines() if ln.startswith(("buy ", "sell "))]
    assert orders and all(int(o[2]) % 100 == 0 or o[0] == "sell" for o in orders)


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--signals", "{tmp}/none.csv"], "{tmp}/none.csv: signal file not found"),
        (["--signals", "{sig}", "--start", "2020-02-30"], "--start: '2020-02-30' is not a date (YYYY-MM-DD)"),
        (["--signals", "{sig}", "--strategy", "momentum"], "unknown strategy 'momentum'"),
        (["--signals", "{sig}", "--topk", "2", "--n-drop", "5"], "strategy topk: topk must be >= 1 and 0 <= n_drop"),
        (["--signals", "{sig}", "--start", "2030-01-02", "--end", "2030-02-01"], "no signals between 2030-01-02"),
        (["--signals", "{sig}", "--commission", "-1"], "--commission must not be negative"),
        (["--signals", "{sig}", "--annualization", "0"], "annualization must be trading days per year"),
        (["--run", "no-such-run"], "no run 'no-such-run' in the registry"),
        (["--signals", "{sig}", "--st", "{tmp}/st.csv"], "{tmp}/st.csv: No such file or directory"),
    ],
)
def test_bad_input_exits_2_with_one_line(data_dir: Path, tmp_path: Path, args: list[str], message: str) -> None:
    args = [a.format(tmp=tmp_path, sig=data_dir / "sig.csv") for a in args]
    result = qdesk(data_dir, "backtest", *args)
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qdesk: error: ")
    assert message.format(tmp=tmp_path) in lines[0]


def test_help(tmp_path: Path) -> None:
    result = qdesk(tmp_path, "backtest", "--help")
    assert result.returncode == 0 and "--deal-price" in result.stdout and "--rebalance" in result.stdout


@pytest.mark.parametrize(
    ("rows", "cash", "message"),
    [
        (["600000.SH,-100"], "1000", "pos.csv:2: shares"),
        (["600000.SH,100", "600000.SH,200"], "1000", "pos.csv:3: symbol: 600000.SH is listed twice"),
        (["601988.SH,100"], "1000", "pos.csv:2: symbol: 601988.SH has no bars in the store"),
        (["600000.SH,100"], "-1", "--cash must be a finite amount >= 0"),
    ],
)
def test_rebalance_refuses_bad_holdings_and_cash(
    data_dir: Path, tmp_path: Path, rows: list[str], cash: str, message: str
) -> None:
    positions = write(tmp_path / "pos.csv", ["symbol,shares", *rows])
    args = ["--signals", str(data_dir / "sig.csv"), "--rebalance", "--positions", str(positions), "--cash", cash]
    result = qdesk(data_dir, "backtest", *args)
    assert result.returncode == 2, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0]


def test_rebalance_honours_end_and_says_cash_when_there_is_none(data_dir: Path) -> None:
    args = ["--signals", str(data_dir / "sig.csv"), "--topk", "2", "--n-drop", "1", "--rebalance"]
    result = qdesk(data_dir, "backtest", *args, "--end", "2020-06-30", "--cash", "0")
    assert result.returncode == 0, result.stderr
    assert "Signals of 2020-06-30" in result.stdout and "orders for 2020-07-01" in result.stdout
    refused = [ln for ln in result.stdout.splitlines() if ln.startswith("refused buy")]
    assert len(refused) == 2 and all(ln.endswith(": cash") for ln in refused)
