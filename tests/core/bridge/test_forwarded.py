"""X-Forwarded-For over a real loopback bridge: ignored unless a proxy is configured; per-address state pruned."""

from __future__ import annotations

import asyncio

from core.bridge.auth import TokenStore
from core.bridge.server.guard import Guard
from core.bridge.service import BridgeService, BridgeSettings
from core.bridge.sources.sim import SimSource
from tests.core.bridge.conftest import serve

LOCKOUT = BridgeSettings(requests_per_s=10_000.0, request_burst=10_000, auth_failures_per_min=5)


def _rate_limited(http) -> float:  # noqa: ANN001
    for line in http.get("/metrics").text.splitlines():
        if line.startswith("qdesk_bridge_rate_limited_total "):
            return float(line.split()[1])
    raise AssertionError("no qdesk_bridge_rate_limited_total in /metrics")


def test_rotating_x_forwarded_for_does_not_escape_the_lockout(tmp_path) -> None:  # noqa: ANN001
    with serve(SimSource(3), tmp_path, settings=LOCKOUT) as running, running.http(token="wrong-token") as bad:
        codes = [bad.get("/v1/health", headers={"X-Forwarded-For": f"203.0.113.{i}"}).status_code for i in range(8)]
        assert codes == [401] * 5 + [429] * 3
        with running.http() as good:
            # The good token is locked out too from this address: it is the real peer that failed.
            assert good.get("/v1/health").status_code == 429
        assert running.service.metrics.rate_limited._value.get() == 4.0  # lock-out refusals are counted


def test_a_configured_proxy_is_believed(tmp_path) -> None:  # noqa: ANN001
    with (
        serve(SimSource(3), tmp_path, settings=LOCKOUT, trusted_proxies=("127.0.0.1",)) as running,
        running.http(token="wrong-token") as bad,
        running.http() as good,
    ):
        codes = [bad.get("/v1/health", headers={"X-Forwarded-For": "203.0.113.7"}).status_code for _ in range(6)]
        assert codes == [401] * 5 + [429]
        # Another address behind the proxy is not locked out by that one's failures.
        assert good.get("/v1/health", headers={"X-Forwarded-For": "203.0.113.8"}).status_code == 200
        assert good.get("/v1/health", headers={"X-Forwarded-For": "203.0.113.7"}).status_code == 429
        assert _rate_limited(good) == 2.0


def test_idle_addresses_are_pruned(tmp_path) -> None:  # noqa: ANN001
    now = [1000.0]
    service = BridgeService(SimSource(3), TokenStore.in_dir(tmp_path), BridgeSettings(requests_per_s=50.0))

    async def app(scope, receive, send) -> None:  # noqa: ANN001
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    guard = Guard(app, service, clock=lambda: now[0])

    async def request(address: str) -> None:
        async def receive() -> dict:
            return {"type": "http.request", "body": b""}

        async def send(_: object) -> None:
            pass

        scope = {"type": "http", "path": "/v1/health", "method": "GET", "headers": [], "client": (address, 1)}
        await guard(scope, receive, send)

    async def body() -> tuple[int, int]:
        for i in range(300):
            await request(f"10.0.{i // 250}.{i % 250}")
        before = guard.tracked_addresses
        now[0] += 120.0  # two minutes on: every bucket is full again, every failure forgotten
        await request("10.9.9.9")
        return before, guard.tracked_addresses

    before, after = asyncio.run(body())
    assert before == 300 and after == 1
