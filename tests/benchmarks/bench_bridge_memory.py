"""QDesk Bridge memory under subscription abuse: RSS before, during and after 63 clients × 10,000 symbols.

Run on demand (not part of the test suite):
    .venv/bin/python -m tests.benchmarks.bench_bridge_memory [--clients 63] [--symbols 10000]

The bridge runs in a child process with production settings over the 5,500-symbol sim source. Two rounds,
each on a fresh bridge and repeated in waves (a leak grows with each wave; memory the allocator keeps
for reuse does not): clients asking for made-up symbols (valid spelling, not listed by the source; the
bridge must refuse them and hold nothing for them), then clients asking for listed symbols (as many as the
per-connection and per-token caps allow). Each wave prints the bridge's RSS at start, with every client
subscribed, and once every client has left, beside the accepted/refused counts and the load average.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from typing import Any

import httpx

from tests.benchmarks.bench_bridge import SYMBOLS, TOKEN, Bridge, _load

# Production caps 16 streams per token: 63 clients need four tokens, as four desks would have.
TOKENS = [f"{TOKEN}-{i}" for i in range(4)]
STREAMS_PER_TOKEN = 16
SETTLE_S = 2.0  # longer than the bridge's quiet time (1 s) before it trims its heap


def made_up(client: int, count: int, listed: set[str]) -> list[str]:
    """`count` symbols in the canonical spelling that the source does not list, different for each client."""
    out: list[str] = []
    code = client * count
    while len(out) < count:
        symbol = f"{code % 1_000_000:06d}.BJ"
        code += 1
        if symbol not in listed:
            out.append(symbol)
    return out


async def _client(url: str, token: str, symbols: list[str], ready: asyncio.Event, leave: asyncio.Event) -> dict:
    from websockets.asyncio.client import connect

    ws_url = url.replace("http://", "ws://") + "/v1/stream"
    async with connect(ws_url, additional_headers={"Authorization": f"Bearer {token}"}, max_size=None) as ws:
        json.loads(await ws.recv())  # hello
        await ws.send(json.dumps({"op": "subscribe", "symbols": symbols}))
        while True:
            frame = json.loads(await ws.recv())
            if frame["type"] == "subscribed":
                ack = {"accepted": len(frame["symbols"]), "refused": frame["rejected_count"]}
                break
        ready.set()

        async def drain() -> None:  # a reader that keeps up, so the bridge never sheds it
            async for _ in ws:
                pass

        reader = asyncio.create_task(drain())
        await leave.wait()
        reader.cancel()
    return ack


async def _round(bridge: Bridge, lists: list[list[str]]) -> dict[str, Any]:
    async with httpx.AsyncClient(base_url=bridge.url, headers={"Authorization": f"Bearer {TOKENS[0]}"}) as http:
        await http.get("/v1/health")
        before = bridge.rss_mb()
        leave = asyncio.Event()
        readies = [asyncio.Event() for _ in lists]
        tasks = [
            asyncio.create_task(_client(bridge.url, TOKENS[i // STREAMS_PER_TOKEN], symbols, readies[i], leave))
            for i, symbols in enumerate(lists)
        ]
        await asyncio.gather(*(r.wait() for r in readies))
        health = (await http.get("/v1/health")).json()
        during = bridge.rss_mb()
        leave.set()
        acks = await asyncio.gather(*tasks)
        while (await http.get("/v1/health")).json()["clients"]:  # the bridge has seen every client leave
            await asyncio.sleep(0.1)
        await asyncio.sleep(SETTLE_S)  # the bridge hands freed memory back once departures have stopped
        after = bridge.rss_mb()
    return {
        "before": before,
        "during": during,
        "after": after,
        "clients": health["clients"],
        "subscribed": health["subscribed_symbols"],
        "accepted": sum(a["accepted"] for a in acks),
        "refused": sum(a["refused"] for a in acks),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clients", type=int, default=63)
    parser.add_argument("--symbols", type=int, default=10_000, help="symbols each client asks for")
    parser.add_argument("--repeats", type=int, default=3, help="waves of clients per bridge: a leak grows each wave")
    args = parser.parse_args()
    from core.bridge.sources.sim import sim_symbols

    listed = sim_symbols(SYMBOLS)
    rounds = {
        "made-up symbols": [made_up(c, args.symbols, set(listed)) for c in range(args.clients)],
        "listed symbols": [listed[: args.symbols] for _ in range(args.clients)],
    }
    print(
        f"load average {_load()}; bridge in a child process, production settings, {SYMBOLS:,} sim symbols", flush=True
    )
    for name, lists in rounds.items():
        bridge = Bridge(rate=SYMBOLS / 5.0, tokens=TOKENS)  # every symbol once per 5 s
        try:
            for repeat in range(1, args.repeats + 1):
                r = asyncio.run(_round(bridge, lists))
                print(
                    f"{args.clients} clients × {args.symbols:,} {name} (wave {repeat}): accepted {r['accepted']:,}, "
                    f"refused {r['refused']:,}; bridge RSS {r['before']:.0f} MiB before, {r['during']:.0f} MiB with "
                    f"{r['clients']} clients on {r['subscribed']:,} symbols, {r['after']:.0f} MiB after they left "
                    f"({r['after'] - r['before']:+.0f} MiB); load {_load()}",
                    flush=True,
                )
        finally:
            bridge.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
