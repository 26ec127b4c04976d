"""Trading: order book-keeping, the paper broker, pre-trade checks, kill switch and the audit log."""

from __future__ import annotations

import uuid


def new_client_id(prefix: str = "QD") -> str:
    """A client order id unique across restarts and machines; sent to the broker as the order remark."""
    return f"{prefix}{uuid.uuid4().hex[:18]}"
