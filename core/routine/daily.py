"""The daily routine: after the close export → score → plan → queue; at the open release the queue.

A plain generator: each step yields a StepDone with its figures (and logs them), the cancel token is
checked between steps, and a failing step raises before anything is queued, so a partial plan is
never sent.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable, Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from core.domain.orders import Account, Order, OrderRequest, Position, Side
from core.jobs import CancelToken, Progress
from core.rules.engine import RuleConfig
from core.strategy.base import Strategy

if TYPE_CHECKING:
    from core.routine.retrain import RetrainSchedule

log = logging.getLogger(__name__)
# Queued orders are limits the open can cross: buys up to 2% over the last close, sells down to 2% under
# it (the exchanges' price cage for continuous trading), inside the next session's band.
DEFAULT_COLLAR = 0.02


class OrderQueue(Protocol):
    """The queued-order book of the trading service (orders held for a later session)."""

    def queue(self, requests: Sequence[OrderRequest], session: dt.date, actor: str | None = None) -> list[Any]: ...
    def queued(self) -> list[Any]: ...
    def release_queued(self, session: dt.date, actor: str | None = None) -> list[Any]: ...


class AccountView(Protocol):
    """What the plan reads of the broker: account, positions and orders."""

    def account(self) -> Account: ...
    def positions(self) -> list[Position]: ...
    def orders(self) -> list[Order]: ...


@dataclass(frozen=True, slots=True)
class StepDone:
    """One step of the routine finished, with the figures it logged."""

    step: str  # 'update' | 'skipped' | 'retrain' | 'score' | 'plan' | 'queue' | 'release'
    figures: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StepProgress(Progress):
    step: str = ""


def run_close(
    data_dir: Path,
    run_id: str,
    strategy: Strategy,
    account: AccountView,
    queue: OrderQueue,
    rules: RuleConfig | None = None,
    st_intervals: Mapping[str, Sequence[tuple[str, str]]] | None = None,
    update_bars: Callable[[CancelToken], Iterator[Any]] | None = None,
    cancel: CancelToken | None = None,
    actor: str = "routine",
    day: dt.date | None = None,
    skip_missing: bool = False,
    collar: float = DEFAULT_COLLAR,
    retrain: RetrainSchedule | None = None,
) -> Iterator[StepProgress | StepDone]:
    """After the close: (update bars →) (retrain →) export and score the newest day → plan the next session → queue it.

    With `day` (the session that just closed) the store must hold that day's bars, or the plan would be
    made from an older day: without them the routine stops with the reason, or, with `skip_missing`
    (the bars were just asked of the bridge, which has none), ends with a 'skipped' step: no session that day.
    Orders are priced, and sized, at the last close moved by `collar` toward the side that fills at the open,
    within the session's limit band (core.strategy.rebalance.plan_rebalance).
    With `retrain`, the run trading for `run_id` (it, or the run its last retrain switched to) is retrained when
    due (core.routine.retrain); a retrain that fails leaves the old run trading and the 'retrain' step says why.
    """
    from core.paths import store_path
    from core.research.scoring import Scores, score_days
    from core.storage import MarketStore
    from core.strategy.available import available_from
    from core.strategy.rebalance import plan_rebalance

    cancel = cancel or CancelToken()
    if update_bars is not None:
        series = errors = rows = 0
        for item in update_bars(cancel):
            if isinstance(item, Progress):
                yield StepProgress(item.done, item.total, item.message, step="update")
            elif hasattr(item, "error"):
                series += 1
                errors += bool(item.error)
                rows += int(getattr(item, "inserted", 0)) + int(getattr(item, "updated", 0))
        yield _done("update", series=series, rows=rows, errors=errors)
        cancel.raise_if_cancelled()
    if day is not None:
        newest = _newest_day(Path(data_dir))
        if newest is None or newest < day:
            reason = f"the store has no bars for {day} (newest: {newest or 'none'})"
            if skip_missing:
                yield _done("skipped", day=day.isoformat(), reason=f"{reason}: no session that day")
                return
            raise ValueError(f"{reason}: update the data before the routine plans")
    if retrain is not None:
        run_id = yield from _retrain(Path(data_dir), run_id, retrain, cancel)
        cancel.raise_if_cancelled()
    scores: Scores | None = None
    for item in score_days(data_dir, run_id, cancel=cancel):
        if isinstance(item, Progress):
            yield StepProgress(item.done, item.total, item.message, step="score")
        else:
            scores = item
    assert scores is not None
    if scores.frame.empty:
        raise ValueError(f"run {run_id} scored no stock on {scores.days[-1]}")
    yield _done("score", day=scores.days[-1], stocks=len(scores.frame), seconds=round(scores.seconds, 2), run=run_id)
    cancel.raise_if_cancelled()
    available = available_from(account.account(), account.positions(), account.orders(), "account")
    signals = scores.frame.set_index(["datetime", "instrument"]).sort_index()
    store = MarketStore.open(store_path(Path(data_dir)))
    try:
        plan = plan_rebalance(
            store,
            signals,
            strategy,
            available.holdings,
            available.cash,
            rules,
            sellable=available.sellable,
            st_intervals=st_intervals,
            collar=collar,
        )
    finally:
        store.close()
    assert plan.session is not None
    yield _done(
        "plan",
        session=plan.session.isoformat(),
        orders=len(plan.orders),
        refused=len(plan.refused),
        cash_after=round(plan.cash_after, 2),
        value_after=round(plan.value_after, 2),
    )
    cancel.raise_if_cancelled()
    stamp = f"{plan.session:%Y%m%d}"
    requests = [
        OrderRequest(f"Q{stamp}-{k:03d}", o.symbol, Side(o.side), o.shares, o.price, origin="routine")
        for k, o in enumerate(plan.orders)
    ]
    # One call with the whole plan: the book takes all of it or raises.
    queued = queue.queue(requests, plan.session, actor) if requests else []
    yield _done("queue", session=plan.session.isoformat(), queued=len(queued))


def bridge_update(
    data_dir: Path, url: str, today: dt.date, token: str | None = None, ca_file: str | None = None
) -> Callable[[CancelToken], Iterator[Any]]:
    """The update step: every stored daily series downloaded from the bridge up to `today`.

    The store's own bridge update job (core.data.bridge_update); `token` None reads the OS keyring.
    """

    def update(cancel: CancelToken) -> Iterator[Any]:
        from core.data.bridge_update import BridgeBars, plan_updates, update_from_bridge
        from core.data.exchange_calendar import update_calendar_from_bridge
        from core.paths import store_path
        from core.storage import MarketStore

        store = MarketStore.open(store_path(Path(data_dir)))
        try:
            plans = plan_updates(store, [(s.symbol, "1d") for s in store.series("1d")], today)
            with BridgeBars(url, token, ca_file=ca_file) as fetch:
                yield from update_from_bridge(store, fetch, plans, cancel)
                update_calendar_from_bridge(store, fetch)  # the sessions ahead: holidays known before they come
        finally:
            store.close()

    return update


def run_open(
    queue: OrderQueue, session: dt.date, cancel: CancelToken | None = None, actor: str = "routine"
) -> Iterator[StepDone]:
    """At the open: release what was queued for `session` through the usual pre-trade checks."""
    (cancel or CancelToken()).raise_if_cancelled()
    results = queue.release_queued(session, actor)
    accepted = sum(1 for r in results if getattr(r, "accepted", False))
    yield _done("release", session=session.isoformat(), released=len(results), accepted=accepted)


def _retrain(
    data_dir: Path, chosen: str, plan: RetrainSchedule, cancel: CancelToken
) -> Generator[StepProgress | StepDone, None, str]:
    """The retrain step; returns the run that scores today."""
    from core.routine.retrain import RetrainDone
    from core.routine.retrain import retrain as retrain_job

    calendar = _calendar(data_dir)
    if not calendar:
        raise ValueError("the store holds no daily bars: import some first")
    active = chosen
    for item in retrain_job(data_dir, chosen, plan, calendar, cancel):
        if isinstance(item, RetrainDone):
            active = item.run
            yield _done("retrain", outcome=item.outcome, run=item.run, **item.figures)
        else:
            yield StepProgress(item.done, item.total, item.message, step="retrain")
    return active


def _calendar(data_dir: Path) -> list[str]:
    from core.paths import store_path
    from core.storage import MarketStore

    store = MarketStore.open(store_path(data_dir))
    try:
        return list(store.trading_days())
    finally:
        store.close()


def _newest_day(data_dir: Path) -> dt.date | None:
    days = _calendar(data_dir)
    return dt.date.fromisoformat(days[-1]) if days else None


def _done(step: str, **figures: Any) -> StepDone:
    log.info("routine %s: %s", step, ", ".join(f"{k} {v}" for k, v in figures.items()))
    return StepDone(step, figures)
