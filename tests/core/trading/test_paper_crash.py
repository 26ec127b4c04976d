"""A paper worker killed with SIGKILL mid-stream (by PID) leaves consistent books: every fill is in the cash,
the positions and its order, or none of it is."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from core.domain.orders import Side
from core.trading.paper import PaperBroker
from core.trading.store import TradingStore

REPO = Path(__file__).resolve().parents[3]
CASH = 5_000_000.0
WORKER = """
import sys
from pathlib import Path
from core.domain.orders import OrderRequest, Side
from core.trading.paper import PaperBroker
from core.trading.store import TradingStore
from tests.core.trading.conftest import continuous, load_ticks

ticks = continuous(load_ticks("600103.SH"))
now = {"t": ticks[0].time}
broker = PaperBroker(TradingStore(Path(sys.argv[1])), cash=float(sys.argv[2]), clock=lambda: now["t"])
for i, tick in enumerate(ticks):
    now["t"] = tick.time
    broker.on_ticks([tick])
    if i % 3 == 0:
        broker.submit(OrderRequest(f"k{i}", "600103.SH", Side.BUY, 100 * (1 + i % 7), round(tick.bid1, 2)))
    print(i, flush=True)
"""


@pytest.mark.parametrize("kill_after", [40, 250, 700])
def test_sigkill_mid_stream_keeps_the_books_consistent(tmp_path: Path, kill_after: int) -> None:
    path = tmp_path / "trading.sqlite"
    child = subprocess.Popen(
        [sys.executable, "-c", WORKER, str(path), str(CASH)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert child.stdout is not None
    for line in child.stdout:  # synchronise on the worker's own progress, not on time
        if int(line) >= kill_after:
            break
    os.kill(child.pid, signal.SIGKILL)
    child.wait(30)
    assert child.returncode == -signal.SIGKILL
    store = TradingStore(path)
    broker = PaperBroker(store, cash=CASH)
    fills = broker.fills()
    assert fills, "the worker filled nothing before it was killed"
    spent = sum(f.value + f.fees.total for f in fills if f.side is Side.BUY)
    assert broker.account().cash == pytest.approx(CASH - spent)
    assert sum(p.total for p in broker.positions()) == sum(f.qty for f in fills)
    for order in broker.orders():
        assert order.filled_qty == sum(f.qty for f in fills if f.client_id == order.client_id)
    held = sum(broker.ledger.reserved.values())
    open_buys = [o for o in broker.orders() if o.is_open and o.side is Side.BUY]
    assert held == pytest.approx(sum(broker.ledger.reserved.get(o.client_id, 0.0) for o in open_buys))
    assert broker.account().available >= 0
    store.close()
