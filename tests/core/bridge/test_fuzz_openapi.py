"""Property-based fuzzing of every path and parameter in the bridge's own /openapi.json: never a 500."""

from __future__ import annotations

import json
import string
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from websockets.sync.client import connect

from core.bridge.sources.history import StoreHistory
from core.bridge.sources.sim import SimSource
from core.data.importer import import_one
from core.storage import MarketStore
from tests.core.bridge.conftest import Running, serve

# Values that sit near the edges the validators care about, mixed with arbitrary text below.
EDGE_VALUES = [
    "",
    " ",
    "0",
    "-1",
    "1",
    "50000",
    "50001",
    "1e9",
    "NaN",
    "null",
    "true",
    "600000.SH",
    "600000.sh",
    "000001.SZ",
    "430047.BJ",
    "999999.SH",
    "600000",
    "SH600000",
    "600000.SH,000001.SZ",
    ",",
    "1d",
    "1m",
    "5m",
    "none",
    "front",
    "back",
    "2020-01-01",
    "2020-02-30",
    "20200101",
    "2020-01-01T09:30:00",
    "2020-01-01 09:30:00",
    "9999-12-31",
    "0001-01-01",
    "2020-01-01T25:00:00",
    "\x00",
    "%00",
    "../../etc",
    "平安银行",
    "\u202e",
    "a" * 5000,
    ",".join(["600000.SH"] * 300),
]


@pytest.fixture(scope="module")
def bridge(cn_data: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    root = tmp_path_factory.mktemp("fuzz")
    store = MarketStore.open(root / "market.sqlite")
    assert import_one(store, cn_data / "daily" / "600000.SH.csv").ok
    assert import_one(store, cn_data / "minute" / "600020.SH.csv", freq="1m").ok
    store.close()
    with serve(SimSource(200, interval=1.0, history=StoreHistory(root / "market.sqlite")), root / "cfg") as running:
        yield running


@pytest.fixture(scope="module")
def http(bridge: Running):  # noqa: ANN201
    with bridge.http() as client:
        yield client


@pytest.fixture(scope="module")
def operations(http: httpx.Client) -> list[tuple[str, list[dict[str, Any]]]]:
    doc = http.get("/openapi.json").json()
    ops = [(path, item["get"].get("parameters", [])) for path, item in doc["paths"].items() if "get" in item]
    assert len(ops) >= 5
    return ops


@pytest.fixture(scope="module")
def documented(http: httpx.Client) -> dict[str, set[str]]:
    """The status codes /openapi.json names for each GET route: every answer must be one of them."""
    doc = http.get("/openapi.json").json()
    return {path: set(item["get"]["responses"]) for path, item in doc["paths"].items() if "get" in item}


def _value(schema: dict[str, Any]) -> st.SearchStrategy[str]:
    typed: list[st.SearchStrategy[str]] = [st.sampled_from(EDGE_VALUES), st.text(max_size=30)]
    kinds = {s.get("type") for s in schema.get("anyOf", [schema])}
    if "integer" in kinds:
        typed.append(st.integers(min_value=-(10**12), max_value=10**12).map(str))
    if "string" in kinds:
        typed.append(st.text(alphabet=string.digits + ".-:TSHZB ", max_size=24))
    return st.one_of(typed)


@st.composite
def requests(draw: st.DrawFn, operations: list[tuple[str, list[dict[str, Any]]]]) -> tuple[str, dict[str, str]]:
    path, params = draw(st.sampled_from(operations))
    query: dict[str, str] = {}
    for param in params:
        if draw(st.booleans()) or param.get("required"):
            query[param["name"]] = draw(_value(param.get("schema", {})))
    if draw(st.integers(0, 4)) == 0:
        query[draw(st.text(min_size=1, max_size=8))] = draw(st.text(max_size=8))  # an unknown parameter
    return path, query


@settings(max_examples=150, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_no_request_from_the_document_gets_a_500(
    http: httpx.Client, operations: list, documented: dict[str, set[str]], data: st.DataObject
) -> None:
    path, query = data.draw(requests(operations))
    response = http.get(path, params=query)
    assert response.status_code < 500, (path, query, response.text[:300])
    assert str(response.status_code) in documented[path], (path, response.status_code, "not in /openapi.json")
    if response.status_code >= 400:
        body = response.json()
        assert set(body) == {"error", "message"} and body["message"], body
    elif path != "/metrics":
        assert isinstance(response.json(), dict)


@settings(max_examples=40, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    message=st.one_of(
        st.text(max_size=60),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=12),
            lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
            max_leaves=12,
        ).map(json.dumps),
        st.fixed_dictionaries(
            {
                "op": st.sampled_from(["subscribe", "unsubscribe", "x"]),
                "symbols": st.lists(st.sampled_from(EDGE_VALUES[:20]) | st.integers(), max_size=6),
            }
        ).map(json.dumps),
    )
)
def test_no_stream_message_breaks_the_connection(bridge: Running, message: str) -> None:
    with connect(bridge.ws_url, additional_headers={"Authorization": f"Bearer {bridge.token}"}) as ws:
        json.loads(ws.recv(timeout=5))
        ws.send(message)
        ws.send(json.dumps({"op": "subscribe", "symbols": []}))
        kinds = []
        while "subscribed" not in kinds:
            frame = json.loads(ws.recv(timeout=5))
            kinds.append(frame["type"])
        assert set(kinds) <= {"subscribed", "unsubscribed", "error", "ticks", "heartbeat"}
