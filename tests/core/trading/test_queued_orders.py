"""The queued-order book (预埋单): kept in SQLite across restarts, cancellable, released at the open as one
batch through the usual checks, every step in the audit log."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

import pytest

from core.domain.orders import OrderRequest, OrderStatus, Side
from core.trading.audit import AuditLog
from core.trading.queue_book import QueueError
from core.trading.risk import RiskEngine, RiskLimits
from core.trading.service import TradingService
from tests.core.trading.conftest import feed

SYM = "600103.SH"
SESSION = dt.date(2021, 12, 2)


def _requests(n: int, prefix: str = "q") -> list[OrderRequest]:
    return [OrderRequest(f"{prefix}{i}", SYM, Side.BUY, 100, round(2.60 + 0.01 * i, 2)) for i in range(n)]


def test_queued_orders_survive_a_restart_and_release_at_the_open(tmp_path, make_broker, clock, ticks_600103) -> None:
    clock.now = dt.datetime(2021, 12, 1, 20, 0)
    first = TradingService(
        make_broker(), RiskEngine(RiskLimits(max_position_weight=1.0)), AuditLog(tmp_path / "a.sqlite")
    )
    made = first.queue(_requests(30), SESSION, actor="planner")
    assert [q.status for q in made] == ["queued"] * 30 and made[0].session == SESSION
    first.cancel_queued(made[0].queue_id, actor="alice")
    with pytest.raises(QueueError):
        first.cancel_queued(made[0].queue_id)
    assert first.broker.orders() == []  # nothing reaches the broker before the open
    # A restart: a new service on the same folder finds the book as it was.
    again = TradingService(
        make_broker(), RiskEngine(RiskLimits(max_position_weight=1.0)), AuditLog(tmp_path / "a.sqlite")
    )
    book = again.queued()
    assert len(book) == 30 and book[0].status == "cancelled" and {q.status for q in book[1:]} == {"queued"}
    assert book[1].request == made[1].request
    clock.now = dt.datetime(2021, 12, 2, 9, 15)
    results = again.release_queued(SESSION, actor="open")
    assert len(results) == 29 and all(r.accepted for r in results)  # 29 at once: one batch for the rate rule
    assert {q.status for q in again.queued()[1:]} == {"released"}
    assert again.release_queued(SESSION) == []  # released once only
    assert {o.status for o in again.broker.orders()} == {OrderStatus.SUBMITTED}
    actions = [e.action for e in again.audit.entries()]
    assert actions.count("order_queued") == 30 and actions.count("queued_cancelled") == 1
    assert actions.count("queued_released") == 29 and "batch_requested" in actions


def test_release_while_disarmed_keeps_the_orders_queued(make_service, clock) -> None:
    service = make_service(RiskLimits(max_position_weight=1.0))
    service.queue(_requests(3), SESSION)
    service.kill(actor="alice")
    results = service.release_queued(SESSION)
    assert [r.verdict.refusals[0].rule for r in results] == ["armed"] * 3
    assert {q.status for q in service.queued()} == {"queued"}
    service.arm()
    assert all(r.accepted for r in service.release_queued(SESSION))


def test_a_release_and_a_cancel_racing_never_both_win(make_service, clock) -> None:
    service = make_service(RiskLimits(max_position_weight=1.0))
    made = service.queue(_requests(20), SESSION)

    def cancel(q):  # type: ignore[no-untyped-def]
        try:
            return service.cancel_queued(q.queue_id).status
        except QueueError:
            return "lost"

    with ThreadPoolExecutor(4) as pool:
        released = pool.submit(service.release_queued, SESSION)
        cancels = list(pool.map(cancel, made))
        results = released.result()
    final = {q.queue_id: q.status for q in service.queued()}
    sent = {o.client_id for o in service.broker.orders()}
    for q, outcome in zip(made, cancels, strict=True):
        assert (final[q.queue_id] == "cancelled") == (outcome == "cancelled")
        assert (q.request.client_id in sent) == (final[q.queue_id] == "released")
    assert len(results) == len(sent)


def test_queueing_a_used_client_id_refuses_the_whole_list(make_service) -> None:
    service = make_service()
    service.queue(_requests(2), SESSION)
    with pytest.raises(QueueError):
        service.queue(_requests(3), SESSION)
    assert len(service.queued()) == 2


def test_ticks_of_the_session_fill_orders_released_at_the_call_auction(make_service, clock, ticks_600103) -> None:
    service = make_service(RiskLimits(max_position_weight=1.0))
    service.queue([OrderRequest("qa", SYM, Side.BUY, 1000, 2.80)], dt.date(2021, 12, 1))
    clock.now = dt.datetime(2021, 12, 1, 9, 15)
    assert service.release_queued(dt.date(2021, 12, 1))[0].accepted
    feed(service.broker, clock, ticks_600103[:5])
    assert service.broker.order("qa").status is OrderStatus.FILLED  # type: ignore[union-attr]
