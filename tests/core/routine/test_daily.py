"""The routine after the close and at the open, against a small queued-order book and the paper broker."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from core.domain.orders import OrderRequest, OrderStatus
from core.research.registry import PROCESSORS_FILE, CannotScore, RunRegistry
from core.routine.daily import StepDone, run_close, run_open
from core.strategy.topk_dropout import TopkDropoutStrategy
from core.trading.paper import PaperBroker
from core.trading.store import TradingStore
from tests.core.research.slices import Slice


@dataclass(frozen=True)
class Queued:
    queue_id: str
    session: dt.date
    request: OrderRequest
    status: str


class Book:
    """A queued-order book in memory that releases straight to the paper broker."""

    def __init__(self, broker: PaperBroker) -> None:
        self.broker = broker
        self.items: list[Queued] = []
        self.calls = 0

    def queue(self, requests: Sequence[OrderRequest], session: dt.date, actor: str | None = None) -> list[Queued]:
        self.calls += 1
        new = [Queued(r.client_id, session, r, "queued") for r in requests]
        self.items += new
        return new

    def queued(self) -> list[Queued]:
        return [q for q in self.items if q.status == "queued"]

    def release_queued(self, session: dt.date, actor: str | None = None) -> list[object]:
        out = []
        for k, q in enumerate(self.items):
            if q.session == session and q.status == "queued":
                out.append(self.broker.submit(q.request))
                self.items[k] = Queued(q.queue_id, q.session, q.request, "released")
        return out


@pytest.fixture()
def paper(tmp_path: Path) -> PaperBroker:
    clock = dt.datetime(2012, 4, 2, 9, 30)
    return PaperBroker(TradingStore(tmp_path / "paper.sqlite"), cash=1_000_000.0, clock=lambda: clock)


def test_close_queues_the_whole_plan_for_the_next_trading_day(trained: tuple[Slice, str], paper: PaperBroker) -> None:
    s, run_id = trained
    book = Book(paper)
    steps = [
        x for x in run_close(s.data_dir, run_id, TopkDropoutStrategy(4, 1), paper, book) if isinstance(x, StepDone)
    ]
    assert [x.step for x in steps] == ["score", "plan", "queue"]
    assert steps[0].figures["day"] == "2012-03-30" and steps[0].figures["stocks"] == 15
    plan = steps[1].figures
    assert plan["session"] == "2012-04-02" and plan["orders"] == 4  # Friday's close → Monday's session
    assert book.calls == 1 and len(book.queued()) == 4
    assert {q.session for q in book.queued()} == {dt.date(2012, 4, 2)}
    cost = sum(q.request.qty * q.request.price for q in book.queued())
    assert all(q.request.qty % 100 == 0 for q in book.queued()) and cost <= 1_000_000.0
    fees = 1_000_000.0 - cost - plan["cash_after"]
    assert 0 < fees < 0.001 * cost  # commission and transfer fee only

    released = [x for x in run_open(book, dt.date(2012, 4, 2))]
    assert released[0].figures["released"] == 4 and book.queued() == []
    assert len([o for o in paper.orders() if o.origin == "routine"]) == 4


def test_a_failing_step_queues_nothing(trained: tuple[Slice, str], paper: PaperBroker) -> None:
    s, run_id = trained
    book = Book(paper)
    path = RunRegistry(s.data_dir).run_dir(run_id) / PROCESSORS_FILE
    content = path.read_bytes()
    path.unlink()
    try:
        with pytest.raises(CannotScore):
            list(run_close(s.data_dir, run_id, TopkDropoutStrategy(4, 1), paper, book))
    finally:
        path.write_bytes(content)
    assert book.calls == 0 and paper.orders() == []


def test_a_day_without_bars_is_skipped_after_an_update_and_refused_without_one(
    trained: tuple[Slice, str], paper: PaperBroker
) -> None:
    from core.data.bridge_update import SeriesUpdated
    from core.jobs import Progress

    s, run_id = trained
    book = Book(paper)
    monday = dt.date(2012, 4, 2)

    def update(cancel: object) -> Iterator[object]:  # the bridge had nothing new: a holiday
        yield SeriesUpdated(s.symbols[0], "1d", received=1, updated=1)
        yield Progress(1, 2, s.symbols[0])
        yield SeriesUpdated(s.symbols[1], "1d", error="bridge answered 500")
        yield Progress(2, 2, s.symbols[1])

    close = run_close(
        s.data_dir, run_id, TopkDropoutStrategy(4, 1), paper, book, update_bars=update, day=monday, skip_missing=True
    )
    steps = [x for x in close if isinstance(x, StepDone)]
    assert [x.step for x in steps] == ["update", "skipped"]
    assert steps[0].figures == {"series": 2, "rows": 1, "errors": 1}
    assert "no bars for 2012-04-02 (newest: 2012-03-30)" in steps[1].figures["reason"]
    with pytest.raises(ValueError, match="no bars for 2012-04-02 .*update the data"):
        list(run_close(s.data_dir, run_id, TopkDropoutStrategy(4, 1), paper, book, day=monday))
    assert book.calls == 0
    friday = [
        x.step
        for x in run_close(s.data_dir, run_id, TopkDropoutStrategy(4, 1), paper, book, day=dt.date(2012, 3, 30))
        if isinstance(x, StepDone)
    ]
    assert friday == ["score", "plan", "queue"] and book.calls == 1


def _last_closes(data_dir: Path, symbols: set[str]) -> dict[str, float]:
    from core.paths import store_path
    from core.storage import MarketStore

    store = MarketStore.open(store_path(data_dir))
    try:
        return {s: float(store.read_bars(s, "1d", end="2012-03-30")["close"].iloc[-1]) for s in symbols}
    finally:
        store.close()


@pytest.mark.parametrize("collar", [0.02, 0.5])
def test_queued_buys_are_priced_and_sized_at_the_collar_inside_the_band(
    trained: tuple[Slice, str], paper: PaperBroker, collar: float
) -> None:
    import math

    from core.rules.price_limits import limit_prices

    s, run_id = trained
    book = Book(paper)
    close = run_close(s.data_dir, run_id, TopkDropoutStrategy(4, 1), paper, book, collar=collar)
    plan = [x for x in close if isinstance(x, StepDone) and x.step == "plan"][0].figures
    queued = [q.request for q in book.queued()]
    closes = _last_closes(s.data_dir, {r.symbol for r in queued})
    monday = dt.date(2012, 4, 2)
    for r in queued:
        band = limit_prices(r.symbol, monday, closes[r.symbol])
        assert band is not None
        up = band[0]
        assert r.price == min(math.floor(round(closes[r.symbol] * (1 + collar) * 100, 6)) / 100, up)
        assert closes[r.symbol] < r.price <= up  # above the last close: an open up to there fills it
    if collar == 0.5:
        assert all(r.price == limit_prices(r.symbol, monday, closes[r.symbol])[0] for r in queued)  # type: ignore[index]
    # Sized at the order price: the cash the broker reserves for every buy is what the plan spent.
    reserve = sum(r.qty * r.price for r in queued)
    assert reserve <= 1_000_000.0 and 1_000_000.0 - reserve - plan["cash_after"] > 0
    assert plan["cash_after"] < 0.1 * 1_000_000.0  # into the plan (TopK keeps 5% back), not left idle
    list(run_open(book, monday))
    sent = [o for o in paper.orders() if o.origin == "routine"]
    assert len(sent) == len(queued) and all(o.status is not OrderStatus.REJECTED for o in sent), [
        o.reason for o in sent
    ]  # the paper broker reserves qty × price: none refused for cash


def test_a_collar_outside_zero_to_one_is_refused(trained: tuple[Slice, str], paper: PaperBroker) -> None:
    s, run_id = trained
    with pytest.raises(ValueError, match="collar must be a fraction"):
        list(run_close(s.data_dir, run_id, TopkDropoutStrategy(4, 1), paper, Book(paper), collar=1.5))
