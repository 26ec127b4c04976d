"""The bridge's arm state, cancels and kill switch: nothing open is missed, numbered by QMT yet or not."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.bridge.trading.refused import LINK_DOWN, TradingRefused
from core.domain.orders import Order

if TYPE_CHECKING:
    from core.bridge.trading.service import BridgeTrading


@dataclass(frozen=True, slots=True)
class KillReport:
    """What the kill switch did: cancels sent, cancels waiting (for QMT's number or the link), what still works."""

    cancel_sent: list[str]
    awaiting: list[str]
    working: list[str]


class KillSwitch:
    """Cancels go by QMT's order number; an order QMT has not numbered yet is cancelled when it is
    (cancel on acknowledgement), and with the link down the kill switch goes on after the reconnect."""

    def __init__(self, owner: BridgeTrading) -> None:
        self.owner = owner
        self.killing = False  # pressed: open orders are cancelled as QMT numbers them, and after reconnects
        self.cancel_on_ack: set[str] = set()

    def set_armed(self, armed: bool, actor: str, reason: str = "") -> None:
        t = self.owner
        t.armed = armed
        if armed:
            self.killing = False
            self.cancel_on_ack.clear()
        t.audit.append(actor, "armed" if armed else "disarmed", "", reason=reason)
        t.emit("state", armed=armed, actor=actor, reason=reason)

    async def cancel(self, client_id: str, actor: str) -> Order:
        t = self.owner
        await t.ready()
        t.audit.append(actor, "cancel_requested", client_id)
        order = t.orders.get(client_id)
        if order is None:
            raise TradingRefused(404, "not_found", f"no order {client_id}")
        if not order.is_open:
            return order
        if not order.broker_id:
            # Cancel on acknowledgement: QMT has not numbered it yet, so the cancel goes when it does.
            self.cancel_on_ack.add(client_id)
            t.audit.append("bridge", "cancel_on_ack", client_id)
            return order
        if not t.connected:
            raise TradingRefused(503, "unavailable", LINK_DOWN)
        await t.send_cancel(order)
        return t.orders[client_id]

    async def kill(self, actor: str, reason: str = "kill switch") -> KillReport:
        """Disarm first, then cancel every open order: those QMT numbered now, the others when it does;
        with the link down the cancels go after the reconnect. Reports what is still working."""
        self.set_armed(False, actor, reason)
        self.killing = True
        with contextlib.suppress(TradingRefused):  # never connected: nothing of ours can be open at QMT
            await self.owner.ready()
        return await self.cancel_open(actor)

    async def cancel_open(self, actor: str) -> KillReport:
        t = self.owner
        sent: list[str] = []
        waiting: list[str] = []
        for order in [o for o in t.orders.values() if o.is_open]:
            t.audit.append(actor, "cancel_requested", order.client_id)
            if not order.broker_id:
                self.cancel_on_ack.add(order.client_id)
                waiting.append(order.client_id)
                continue
            if not t.connected:
                waiting.append(order.client_id)
                continue
            try:
                await t.send_cancel(order)
                sent.append(order.client_id)
            except Exception as exc:  # noqa: BLE001 (link lost mid-kill: retried after the reconnect)
                t.audit.append("xttrader", "cancel_failed", order.client_id, error=str(exc))
                waiting.append(order.client_id)
        working = [o.client_id for o in t.orders.values() if o.is_open]
        report = KillReport(sent, waiting, working)
        t.audit.append(actor, "kill_progress", "", cancel_sent=sent, awaiting=waiting, working=working)
        return report

    def order_changed(self, order: Order) -> None:
        """An order's new state: a closed one needs no cancel; one QMT just numbered gets its waiting cancel."""
        t, cid = self.owner, order.client_id
        if not order.is_open:
            self.cancel_on_ack.discard(cid)
        elif cid in self.cancel_on_ack and order.broker_id and t.connected:
            self.cancel_on_ack.discard(cid)
            t.spawn(self._cancel_acknowledged(order), f"xttrader-cancel-{cid}")

    async def _cancel_acknowledged(self, order: Order) -> None:
        try:
            await self.owner.send_cancel(order)
        except Exception as exc:  # noqa: BLE001 (the link went again: the reconnect cancels it)
            self.cancel_on_ack.add(order.client_id)
            self.owner.audit.append("xttrader", "cancel_failed", order.client_id, error=str(exc))

    async def link_restored(self) -> None:
        if self.killing:
            await self.cancel_open("bridge")  # the kill switch pressed while the link was down
