"""The /v1 HTTP API over a real loopback bridge: health, instruments, bars from a real store, quotes, bad input."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest

from core.bridge.service import BridgeSettings
from core.bridge.sources.history import StoreHistory
from core.bridge.sources.sim import SimSource, sim_symbols
from core.data.importer import import_one
from core.storage import MarketStore
from tests.core.bridge.conftest import TEST_SETTINGS, serve

DAILY = ["600000.SH", "000001.SZ"]


@pytest.fixture(scope="module")
def store_path(cn_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("store") / "market.sqlite"
    store = MarketStore.open(path)
    try:
        for sym in DAILY:
            assert import_one(store, cn_data / "daily" / f"{sym}.csv").ok
        assert import_one(store, cn_data / "minute" / "000001.SZ.csv", freq="1m").ok
    finally:
        store.close()
    return path


@pytest.fixture(scope="module")
def bridge(store_path: Path, tmp_path_factory: pytest.TempPathFactory):  # noqa: ANN201
    source = SimSource(50, interval=0.5, history=StoreHistory(store_path))
    with serve(source, tmp_path_factory.mktemp("cfg")) as running:
        yield running


@pytest.fixture(scope="module")
def http(bridge):  # noqa: ANN001, ANN201
    with bridge.http() as client:
        yield client


def _csv_rows(cn_data: Path, symbol: str) -> list[dict[str, str]]:
    with open(cn_data / "daily" / f"{symbol}.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_health_reports_source_and_counts(http) -> None:  # noqa: ANN001
    body = http.get("/v1/health").json()
    assert body["status"] == "ok" and body["source"] == "sim" and body["source_connected"] is True
    assert body["qmt_connected"] is None  # not a QMT source
    assert body["api"] == "1" and body["version"] and body["uptime_s"] >= 0
    assert body["clients"] == 0 and body["reconnects"] == 0 and body["ticks_per_s"] >= 0


def test_instruments_lists_what_the_source_knows(http) -> None:  # noqa: ANN001
    body = http.get("/v1/instruments").json()
    assert body["count"] == 50 == len(body["instruments"])
    first = body["instruments"][0]
    assert first["symbol"] == sim_symbols(1)[0] == "600000.SH"
    assert first["exchange"] == "SH" and first["board"] == "main"


@pytest.mark.parametrize("symbol", DAILY)
def test_daily_bars_unadjusted_match_the_imported_file(http, cn_data: Path, symbol: str) -> None:  # noqa: ANN001
    rows = [r for r in _csv_rows(cn_data, symbol) if "2015-01-01" <= r["date"] <= "2015-12-31"]
    body = http.get("/v1/bars", params={"symbol": symbol, "start": "2015-01-01", "end": "2015-12-31"}).json()
    assert body["count"] == len(rows) > 200 and body["adjust"] == "none" and not body["truncated"]
    for bar, row in zip(body["bars"], rows, strict=True):
        assert bar["time"].startswith(row["date"])
        assert bar["close"] == pytest.approx(float(row["close"])) and bar["volume"] == float(row["volume"])
        assert bar["factor"] == pytest.approx(float(row["factor"]))


@pytest.mark.parametrize("symbol", DAILY)
def test_back_and_front_adjustment_follow_the_factor_column(http, cn_data: Path, symbol: str) -> None:  # noqa: ANN001
    rows = _csv_rows(cn_data, symbol)
    latest = float(rows[-1]["factor"])
    chosen = {r["date"]: r for r in rows if r["date"].startswith(("2008-06", "2016-06", "2022-12"))}
    for adjust in ("back", "front"):
        bars = http.get("/v1/bars", params={"symbol": symbol, "adjust": adjust, "limit": 50_000}).json()["bars"]
        assert len(bars) == len(rows)
        got = {b["time"][:10]: b for b in bars if b["time"][:10] in chosen}
        assert len(got) == len(chosen) > 30
        for day, row in chosen.items():
            factor = float(row["factor"])
            k = factor if adjust == "back" else factor / latest
            for field in ("open", "high", "low", "close"):
                assert got[day][field] == pytest.approx(float(row[field]) * k, rel=1e-9), (adjust, day, field)
            assert got[day]["volume"] == float(row["volume"])  # shares stay shares
    front_last = http.get("/v1/bars", params={"symbol": symbol, "adjust": "front", "start": rows[-1]["date"]}).json()
    assert front_last["bars"][0]["close"] == pytest.approx(float(rows[-1]["close"]))  # front: today is raw


def test_minute_bars_with_a_datetime_range(http) -> None:  # noqa: ANN001
    body = http.get(
        "/v1/bars", params={"symbol": "000001.SZ", "period": "1m", "start": "2018-01-02T09:31:00", "end": "2018-01-02"}
    ).json()
    assert body["count"] == 240
    assert body["bars"][0]["time"] == "2018-01-02T09:31:00" and body["bars"][-1]["time"] == "2018-01-02T15:00:00"
    assert body["bars"][0]["close"] == pytest.approx(13.38)


def test_bars_are_paged_with_limit(http) -> None:  # noqa: ANN001
    first = http.get("/v1/bars", params={"symbol": "600000.SH", "start": "2020-01-01", "limit": 10}).json()
    assert first["count"] == 10 and first["truncated"] and first["next_start"].startswith("2020-01-16")
    second = http.get("/v1/bars", params={"symbol": "600000.SH", "start": first["next_start"], "limit": 1}).json()
    assert second["bars"][0]["time"] == first["next_start"]


def test_a_start_after_the_end_is_an_empty_range(http) -> None:  # noqa: ANN001
    body = http.get("/v1/bars", params={"symbol": "600000.SH", "start": "2021-01-02", "end": "2021-01-01"})
    assert body.status_code == 200 and body.json()["count"] == 0 and body.json()["bars"] == []


def test_unknown_symbol_in_valid_form_has_no_bars(http) -> None:  # noqa: ANN001
    body = http.get("/v1/bars", params={"symbol": "600999.SH"}).json()
    assert body["count"] == 0 and body["bars"] == []


def test_quotes_returns_snapshots_and_names_the_missing(http) -> None:  # noqa: ANN001
    wanted = sim_symbols(3) + ["600999.SH"]
    body = http.get("/v1/quotes", params={"symbols": ",".join(wanted)}).json()
    assert body["count"] == 3 and body["missing"] == ["600999.SH"]
    quote = body["quotes"][0]
    assert quote["symbol"] == "600000.SH" and len(quote["bid_prices"]) == 5
    assert quote["limit_down"] < quote["last"] < quote["limit_up"] or math.isclose(quote["last"], quote["limit_up"])


@pytest.mark.parametrize(
    ("path", "params", "fragment"),
    [
        ("/v1/bars", {"symbol": "600000"}, "did you mean 600000.SH"),
        ("/v1/bars", {"symbol": "sh600000"}, "expected the form 600000.SH"),
        ("/v1/bars", {"symbol": "平安银行"}, "invalid symbol"),
        ("/v1/bars", {"symbol": "600000.SH", "period": "5m"}, "invalid period '5m': expected one of 1d, 1m"),
        ("/v1/bars", {"symbol": "600000.SH", "adjust": "qfq"}, "invalid adjust"),
        ("/v1/bars", {"symbol": "600000.SH", "start": "2020-13-01"}, "invalid start '2020-13-01'"),
        ("/v1/bars", {"symbol": "600000.SH", "end": "yesterday"}, "invalid end"),
        ("/v1/bars", {"symbol": "600000.SH", "start": "2021-02-29"}, "invalid start '2021-02-29'"),
        ("/v1/bars", {"symbol": "600000.SH", "end": "2021-01-01\n"}, "invalid end"),
        ("/v1/bars", {"symbol": "600000.SH", "limit": "0"}, "limit"),
        ("/v1/bars", {"symbol": "600000.SH", "limit": "999999999"}, "limit"),
        ("/v1/bars", {"symbol": "600000.SH", "limit": "ten"}, "limit"),
        ("/v1/bars", {}, "symbol"),
        ("/v1/bars", {"symbol": "6" * 200}, "symbol"),
        ("/v1/quotes", {}, "symbols is required"),
        ("/v1/quotes", {"symbols": ",,"}, "symbols is required"),
        ("/v1/quotes", {"symbols": "600000.SH,bad"}, "invalid symbol 'bad'"),
    ],
)
def test_bad_input_is_a_clear_400(http, path: str, params: dict[str, str], fragment: str) -> None:  # noqa: ANN001
    response = http.get(path, params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["error"] == "bad_request" and fragment in body["message"]
    assert "\n" not in body["message"]


def test_too_many_symbols_is_400_and_a_too_long_url_414(store_path: Path, tmp_path: Path) -> None:
    symbols = ",".join(sim_symbols(1001))
    wide = BridgeSettings(requests_per_s=1000.0, request_burst=1000, max_url_bytes=64 * 1024)
    with serve(SimSource(5), tmp_path, settings=wide) as running, running.http() as client:
        response = client.get("/v1/quotes", params={"symbols": symbols})
        assert response.status_code == 400 and "at most 1000" in response.json()["message"]
    with serve(SimSource(5), tmp_path, settings=TEST_SETTINGS) as running, running.http() as client:
        response = client.get("/v1/quotes", params={"symbols": symbols})
        assert response.status_code == 414 and response.json()["error"] == "uri_too_long"


def test_oversized_body_wrong_method_and_unknown_path(http) -> None:  # noqa: ANN001
    big = http.post("/v1/health", content=b"x" * 100_000)
    assert big.status_code == 413 and big.json()["error"] == "too_large"
    assert http.post("/v1/health", content=b"{}").status_code == 405
    missing = http.get("/v1/nothing-here")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"


def test_rate_limit_answers_429_with_retry_after(tmp_path: Path) -> None:
    tight = BridgeSettings(requests_per_s=1.0, request_burst=5)
    with serve(SimSource(5), tmp_path, settings=tight) as running, running.http() as client:
        codes = [client.get("/v1/health").status_code for _ in range(8)]
        limited = client.get("/v1/health")
        metrics_refused = client.get("/metrics")
    assert codes[:5] == [200] * 5 and set(codes[5:]) == {429}
    assert limited.status_code == 429 and int(limited.headers["retry-after"]) >= 1
    assert limited.json()["error"] == "rate_limited" and metrics_refused.status_code == 429


def test_openapi_document_lists_the_api(http) -> None:  # noqa: ANN001
    doc = http.get("/openapi.json").json()
    assert {"/v1/health", "/v1/instruments", "/v1/bars", "/v1/quotes", "/metrics"} <= set(doc["paths"])
    assert "/v1/stream" in doc["info"]["description"]
    params = {p["name"] for p in doc["paths"]["/v1/bars"]["get"]["parameters"]}
    assert params == {"symbol", "period", "start", "end", "adjust", "limit"}


def test_post_quotes_takes_a_thousand_symbols_in_a_json_body(tmp_path: Path) -> None:
    """A thousand symbols do not fit the URL limit; the JSON body does, within the body limit."""
    wanted = sim_symbols(1000)
    with serve(SimSource(1000, interval=60.0), tmp_path) as running, running.http() as client:
        assert client.get("/v1/quotes", params={"symbols": ",".join(wanted)}).status_code == 414
        body = client.post("/v1/quotes", json={"symbols": wanted}).json()
        assert body["count"] == 1000 and body["missing"] == []
        assert [q["symbol"] for q in body["quotes"]] == wanted
        too_many = client.post("/v1/quotes", json={"symbols": sim_symbols(1001)})
        assert too_many.status_code in (400, 413) and too_many.json()["error"] in ("bad_request", "too_large")
        for bad, fragment in (
            ({"symbols": []}, "symbols is required"),
            ({}, "symbols is required"),
            ({"symbols": ["600000.SH", "6\uff10\uff10000.SH"]}, "invalid symbol"),
            ({"symbols": "600000.SH"}, "symbols"),
        ):
            response = client.post("/v1/quotes", json=bad)
            assert response.status_code == 400 and fragment in response.json()["message"], response.text
        assert client.post("/v1/quotes", content=b"{not json").status_code == 400


def test_wrong_method_names_the_allowed_ones(http) -> None:  # noqa: ANN001
    response = http.delete("/v1/quotes")
    assert response.status_code == 405 and set(response.headers["allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert http.post("/v1/health").headers["allow"] == "GET"


def test_openapi_document_is_accurate(http) -> None:  # noqa: ANN001
    doc = http.get("/openapi.json").json()
    (symbols,) = doc["paths"]["/v1/quotes"]["get"]["parameters"]
    assert symbols["required"] is True and "pattern" in symbols["schema"]
    symbol = next(p for p in doc["paths"]["/v1/bars"]["get"]["parameters"] if p["name"] == "symbol")
    assert symbol["required"] is True and symbol["schema"]["pattern"] == r"^[0-9A-Z][0-9]{5}\.(SH|SZ|BJ)$"
    assert "post" in doc["paths"]["/v1/quotes"]
    for path in ("/v1/health", "/v1/bars", "/v1/quotes"):
        assert {"401", "403", "404", "405", "409", "429"} <= set(doc["paths"][path]["get"]["responses"])
