"""What the bridge promised that QMT's snapshots do not show yet: client ids taken, cash held by orders in flight."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.domain.orders import Account, Order, OrderRequest


def same_body(a: OrderRequest, b: OrderRequest) -> bool:
    """Two requests under one client id ask for the same order (a retry), whatever their origin."""
    return (a.symbol, a.side, a.qty, round(a.price, 4), a.type) == (b.symbol, b.side, b.qty, round(b.price, 4), b.type)


def request_of(order: Order) -> OrderRequest:
    return OrderRequest(order.client_id, order.symbol, order.side, order.qty, order.price, order.type, order.origin)


@dataclass
class CashHolds:
    """Cash each buy in flight may spend, until an asset snapshot taken after it reached QMT includes it.

    Orders go to QMT through one serial worker, so numbering each order call and remembering the number
    reached when a snapshot was asked for tells which orders that snapshot already reflects.
    """

    sent: int = 0  # order calls handed to the worker so far
    seen: int = 0  # order calls a snapshot is known to include
    holds: dict[str, tuple[int | None, float]] = field(default_factory=dict)

    def hold(self, client_id: str, amount: float) -> None:
        self.holds[client_id] = (None, amount)

    def sending(self, client_id: str) -> None:
        self.sent += 1
        _, amount = self.holds.get(client_id, (None, 0.0))
        if client_id in self.holds:
            self.holds[client_id] = (self.sent, amount)

    def release(self, client_id: str) -> None:
        self.holds.pop(client_id, None)

    def snapshot_mark(self) -> int:
        return self.sent

    def snapshot_taken(self, mark: int) -> None:
        self.seen = max(self.seen, mark)
        for cid, (number, _) in list(self.holds.items()):
            if number is not None and number <= self.seen:
                del self.holds[cid]

    def pending(self) -> float:
        return sum(amount for number, amount in self.holds.values() if number is None or number > self.seen)

    def account(self, account: Account) -> Account:
        """The account as the cash check must see it: what is in flight counts as frozen."""
        extra = self.pending()
        if not extra:
            return account
        return Account(account.cash, account.frozen + extra, account.market_value, account.account_id)
