"""`qdesk routine run|simulate`: the daily loop and its dry run from the command line; bad input exits 2 in one line."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from app.cli import main
from tests.core.bridge_trading.conftest import replay_dir  # noqa: F401  (recorded snapshots for the bridge)
from tests.core.research.slices import Slice
from tests.core.routine.conftest import trained  # noqa: F401  (the routine tests' small trained run)


def test_simulate_writes_the_days_and_prints_a_summary(
    trained: tuple[Slice, str],  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    s, run_id = trained
    out = tmp_path / "sim"
    argv = ["--data-dir", str(s.data_dir), "routine", "simulate", "--run", run_id, "--start", "2012-02-01"]
    assert main([*argv, "--end", "2012-02-29", "--topk", "4", "--n-drop", "1", "--cash", "1e6", "--out", str(out)]) == 0
    assert "Routine topk 2012-02-01 → 2012-02-29" in capsys.readouterr().out
    daily = pd.read_csv(out / "daily.csv")
    assert list(daily.columns) == ["date", "equity", "cash", "market_value"]
    assert daily["date"].iloc[0] == "2012-02-01" and daily["date"].iloc[-1] == "2012-02-29"
    assert (daily["equity"] - daily["cash"] - daily["market_value"]).abs().max() < 1e-6
    for name in ("orders.csv", "fills.csv", "scores.csv"):
        assert (out / name).exists()


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--start", "2012-02-30", "--end", "2012-03-01"], "--start: '2012-02-30' is not a date"),
        (["--start", "2012-03-01", "--end", "2012-02-01"], "--end 2012-02-01 is before --start 2012-03-01"),
        (["--start", "2012-02-01", "--end", "2012-03-01", "--cash", "0"], "--cash must be a positive amount"),
        (["--start", "2012-02-01", "--end", "2012-03-01", "--topk", "0"], "topk must be >= 1"),
    ],
)
def test_simulate_bad_input_exits_2(
    trained: tuple[Slice, str],  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    s, run_id = trained
    argv = ["--data-dir", str(s.data_dir), "routine", "simulate", "--run", run_id, "--out", str(tmp_path), *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]


def test_run_at_close_queues_orders_priced_at_the_collar(
    trained: tuple[Slice, str],  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import shutil

    from core.trading.queue_book import QUEUE_FILE, QueuedBook

    s, run_id = trained
    data_dir = tmp_path / "data"
    shutil.copytree(s.data_dir, data_dir)  # the routine's paper account and queue live in the data folder
    argv = ["--data-dir", str(data_dir), "routine", "run", "--run", run_id, "--account", "paper"]
    assert main([*argv, "--topk", "4", "--n-drop", "1", "--collar", "3"]) == 0
    out = capsys.readouterr().out
    assert "plan: session 2012-04-02" in out and "queue: session 2012-04-02, queued 4" in out
    queued = QueuedBook(data_dir / QUEUE_FILE).all()
    frame = pd.read_csv(s.data_dir.parent / "csv" / f"{queued[0].request.symbol}.csv", dtype={"date": str})
    close = float(frame[frame["date"] <= "2012-03-30"]["close"].iloc[-1])
    assert close < queued[0].request.price <= round(close * 1.03, 2)


@pytest.mark.parametrize("collar", ["-1", "100", "abc"])
def test_run_refuses_a_bad_collar(
    trained: tuple[Slice, str],  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    collar: str,
) -> None:
    s, run_id = trained
    argv = ["--data-dir", str(s.data_dir), "routine", "run", "--run", run_id, "--account", "paper", "--collar", collar]
    try:
        code = main(argv)
    except SystemExit as exc:  # not a number: argparse's usage and its one-line reason
        code = exc.code
    assert code == 2
    assert "--collar" in capsys.readouterr().err.strip().splitlines()[-1]


def test_run_at_close_first_pulls_the_days_bars_from_the_bridge(
    trained: tuple[Slice, str],  # noqa: F811
    cn_data: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import shutil

    from core.data.importer import import_one
    from core.storage import MarketStore
    from tests.core.data.test_bridge_update import store_bridge

    s, run_id = trained
    data_dir = tmp_path / "data"
    shutil.copytree(s.data_dir, data_dir)
    bridge_dir = tmp_path / "bridge"
    bridge_dir.mkdir()
    bridge_store = MarketStore.open(bridge_dir / "market.sqlite")
    try:  # the bridge holds the same stocks a week further, to 2012-04-06 (04-02..04 were holidays)
        for symbol in s.symbols:
            frame = pd.read_csv(cn_data / "daily" / f"{symbol}.csv", dtype={"date": str})
            path = bridge_dir / f"{symbol}.csv"
            frame[(frame["date"] >= "2012-01-01") & (frame["date"] <= "2012-04-06")].to_csv(path, index=False)
            assert import_one(bridge_store, path).ok
    finally:
        bridge_store.close()
    argv = [
        "--data-dir",
        str(data_dir),
        "routine",
        "run",
        "--run",
        run_id,
        "--account",
        "paper",
        "--topk",
        "4",
        "--n-drop",
        "1",
    ]
    with store_bridge(bridge_dir / "market.sqlite", bridge_dir) as (url, token):
        (tmp_path / "wrong").write_text("not-the-token\n", encoding="utf-8")
        assert main([*argv, "--bridge", url, "--token-file", str(tmp_path / "wrong")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "routine stopped, nothing queued or sent" in err[0]
        (tmp_path / "token").write_text(token + "\n", encoding="utf-8")
        assert main([*argv, "--bridge", url, "--token-file", str(tmp_path / "token")]) == 0
    out = capsys.readouterr().out
    assert f"update: series {len(s.symbols)}, rows " in out and "errors 0" in out
    assert "score: day 2012-04-06" in out and "plan: session 2012-04-09" in out
    store = MarketStore.open(data_dir / "market.sqlite")
    try:
        assert store.trading_days()[-1] == "2012-04-06"
    finally:
        store.close()


def test_run_bridge_input_is_checked_first(
    trained: tuple[Slice, str],  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    s, run_id = trained
    argv = ["--data-dir", str(s.data_dir), "routine", "run", "--run", run_id, "--account", "paper"]
    assert main([*argv, "--bridge", "ftp://x"]) == 2
    assert "expected an http:// or https:// URL" in capsys.readouterr().err
    assert main([*argv, "--bridge", "http://127.0.0.1:9", "--token-file", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f"--token-file {tmp_path / 'none'}: No such file" in err[0]


def test_run_live_queues_the_plan_over_the_bridge_and_sends_nothing(
    trained: tuple[Slice, str],  # noqa: F811
    replay_dir: Path,  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import shutil

    from app.orders_presenter import live_service
    from core.trading.audit import AUDIT_FILE, AuditLog
    from core.trading.queue_book import LIVE_QUEUE_FILE, QUEUE_FILE, QueuedBook
    from tests.core.bridge_trading.conftest import serve_bridge
    from tests.fakes.xttrader_fake import FakeQmt

    s, run_id = trained
    data_dir = tmp_path / "data"
    shutil.copytree(s.data_dir, data_dir)
    qmt = FakeQmt()
    argv = [
        "--data-dir",
        str(data_dir),
        "routine",
        "run",
        "--run",
        run_id,
        "--account",
        "live",
        "--topk",
        "4",
        "--n-drop",
        "1",
    ]
    with serve_bridge(qmt, tmp_path / "bridge", replay_dir) as bridge:
        (tmp_path / "wrong").write_text("not-a-token", encoding="utf-8")
        (tmp_path / "trade").write_text(bridge.trade_token, encoding="utf-8")
        url = ["--bridge", bridge.url]
        assert main([*argv, "--at", "open", *url, "--token-file", str(tmp_path / "trade")]) == 2
        assert "release the queued orders from the desktop" in capsys.readouterr().err
        assert main([*argv, *url, "--token-file", str(tmp_path / "wrong")]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and "routine stopped, nothing queued or sent: the live account" in err[0]
        assert main([*argv, *url, "--token-file", str(tmp_path / "trade")]) == 0
        out = capsys.readouterr().out
        with bridge.trader() as http:
            assert http.get("/v1/orders").json()["orders"] == []  # nothing reached QMT
    assert qmt.orders == {}
    assert "queue: session 2012-04-02, queued 4" in out and "none sent" in out
    assert QueuedBook(data_dir / QUEUE_FILE).all() == []  # the paper account's book is another
    queued = QueuedBook(data_dir / LIVE_QUEUE_FILE).all()
    assert len(queued) == 4 and {q.status for q in queued} == {"queued"}
    desk = live_service(data_dir, "http://127.0.0.1:9", "t" * 32, None)  # the desktop's live account sees them
    assert [q.queue_id for q in desk.queued()] == [q.queue_id for q in queued]
    assert all(q.request.side.value == "buy" for q in queued)  # the QMT account holds nothing yet
    audit = AuditLog(data_dir / AUDIT_FILE)
    try:
        actions = [e.action for e in audit.entries()]
    finally:
        audit.close()
    assert actions.count("order_queued") == 4 and "order_submitted" not in actions


def test_run_at_close_retrains_when_due_and_trades_the_new_run(
    trained: tuple[Slice, str],  # noqa: F811
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    import shutil

    from core.routine.retrain import RetrainState

    s, run_id = trained
    data_dir = tmp_path / "data"
    shutil.copytree(s.data_dir, data_dir)
    argv = ["--data-dir", str(data_dir), "routine", "run", "--run", run_id, "--account", "paper", "--no-bridge"]
    assert main([*argv, "--topk", "4", "--n-drop", "1", "--retrain", "1m", "--retrain-window", "sliding"]) == 0
    captured = capsys.readouterr()
    new = RetrainState(data_dir).entry(run_id).active
    assert new != run_id
    assert f"retrain: outcome switched, run {new}, day 2012-03-30, from {run_id}, window sliding" in captured.out
    score = next(line for line in captured.out.splitlines() if line.startswith("score:"))
    assert score.startswith("score: day 2012-03-30") and score.endswith(f"run {new}"), captured.out
    assert "retrain: " in captured.err, [x for x in captured.err.splitlines() if "qlib" not in x]
    # Run again the same day: not retrained twice; the plan made again clashes with the one queued already.
    assert main([*argv, "--topk", "4", "--n-drop", "1", "--retrain", "1m"]) == 2
    again = capsys.readouterr()
    assert f"retrain: outcome not due, run {new}, since 2012-03-30" in again.out
    assert f"run {new}\nplan:" in again.out and "queued already" in again.err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--retrain", "20"], "--retrain: bad step '20'"),
        (["--retrain", "0d"], "--retrain: bad step '0d': it must be at least one day or month"),
        (["--retrain-window", "sliding"], "--retrain-window goes with --retrain EVERY"),
        (["--retrain", "1m", "--at", "open"], "--retrain runs after the close"),
    ],
)
def test_run_refuses_a_bad_retrain_schedule(
    trained: tuple[Slice, str],  # noqa: F811
    capsys: pytest.CaptureFixture[str],
    extra: list[str],
    message: str,
) -> None:
    s, run_id = trained
    argv = ["--data-dir", str(s.data_dir), "routine", "run", "--run", run_id, "--account", "paper", *extra]
    assert main(argv) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and message in err[0]
