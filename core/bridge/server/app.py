"""The bridge's HTTP API: FastAPI routes under /v1, the /v1/stream WebSocket and /metrics."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request, Security, WebSocket
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from core.bridge.protocol import STREAM_PROTOCOL, bar_to_wire, instrument_to_wire, tick_to_wire
from core.bridge.schemas import BarsOut, CalendarOut, ErrorOut, HealthOut, InstrumentsOut, QuotesIn, QuotesOut
from core.bridge.server.guard import Guard
from core.bridge.server.stream import serve_stream
from core.bridge.service import BridgeService
from core.bridge.sources.base import SourceDisconnected
from core.bridge.validation import (
    ADJUSTS,
    PERIODS,
    SYMBOL_PATTERN,
    TIME_PATTERN,
    InvalidRequest,
    parse_range,
    parse_symbol_list,
    validate_choice,
    validate_symbol,
    validate_symbols,
)
from core.domain.bars import Freq

log = logging.getLogger(__name__)
MAX_BARS = 50_000
_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut, "description": text}
    for code, text in (
        (400, "bad input: the message says what and how to fix it"),
        (401, "missing or invalid bearer token"),
        (403, "the token may not do this (trading routes need a trading token)"),
        (404, "no such route or item"),
        (405, "method not allowed on this route; see the Allow header"),
        (409, "the request conflicts with the bridge's state (e.g. trading is not armed)"),
        (413, "request body too large"),
        (414, "request line too long"),
        (429, "rate limited; see Retry-After"),
        (503, "the data source is disconnected (QMT closed) or did not answer in time; retry later"),
    )
}
_CODES = {400: "bad_request", 404: "not_found", 405: "method_not_allowed", 503: "unavailable"}
_SYMBOL = {"pattern": f"^{SYMBOL_PATTERN}$"}
_SYMBOL_LIST = {"pattern": f"^{SYMBOL_PATTERN}(,{SYMBOL_PATTERN})*$"}
_TIME = {"pattern": f"^{TIME_PATTERN}$"}

_RANGE_HELP = "YYYY-MM-DD[THH:MM:SS] (or YYYYMMDD[HHMMSS]), inclusive; a start after the end gives no bars"

_DESCRIPTION = (
    """\
Market data from the machine running the broker's QMT terminal (or a replay/sim source), for QDesk.
Every endpoint needs `Authorization: Bearer <token>`. Symbols are spelled `600000.SH`, `000001.SZ`,
`430047.BJ`. Times are Beijing time.

"""
    + STREAM_PROTOCOL
)


def _error(status: int, message: str, code: str | None = None, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(
        {"error": code or _CODES.get(status, "error"), "message": message}, status_code=status, headers=headers
    )


def create_app(service: BridgeService) -> FastAPI:
    """The ASGI app of one bridge; `service` must be started before requests arrive."""
    app = FastAPI(
        title="QDesk Bridge",
        version=service.version,
        description=_DESCRIPTION,
        docs_url=None,
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.add_middleware(Guard, service=service)

    @app.exception_handler(InvalidRequest)
    async def _invalid(_: Request, exc: InvalidRequest) -> JSONResponse:
        return _error(400, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _validation(_: Request, exc: RequestValidationError) -> JSONResponse:
        first = exc.errors()[0] if exc.errors() else {}
        where = ".".join(str(p) for p in first.get("loc", ()) if p not in ("query", "body"))
        if first.get("type") == "missing":
            return _error(400, f"{where or 'request'} is required")
        return _error(400, f"{where or 'request'}: {first.get('msg', 'invalid value')}")

    @app.exception_handler(SourceDisconnected)
    async def _disconnected(_: Request, exc: SourceDisconnected) -> JSONResponse:
        return _error(503, str(exc))

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        headers = {k.lower(): v for k, v in (exc.headers or {}).items()}
        if exc.status_code == 405:  # Starlette names only the first matching route's methods; the document has all
            allowed = app.openapi()["paths"].get(request.url.path, {})
            headers["allow"] = ", ".join(sorted(m.upper() for m in allowed)) or headers.get("allow", "")
        return _error(exc.status_code, str(exc.detail), headers=headers)

    bearer = HTTPBearer(auto_error=False, description="token shown at the bridge's first start")
    v1 = APIRouter(prefix="/v1", dependencies=[Security(bearer)], responses=_ERRORS)

    @v1.get("/health", response_model=HealthOut, summary="Bridge and source state")
    async def health() -> dict[str, Any]:
        st = service.refresh_status()
        return {
            "status": "ok" if st.source_connected else "degraded",
            "source": st.source,
            "source_connected": st.source_connected,
            "qmt_connected": st.qmt_connected,
            "paused": st.paused,
            "version": service.version,
            "api": service.api_version,
            "uptime_s": st.uptime_s,
            "clients": st.clients,
            "subscribed_symbols": st.subscribed_symbols,
            "ticks_per_s": st.ticks_per_s,
            "reconnects": st.reconnects,
            "stuck_calls": [{"lane": lane, "call": call, "running_s": t} for lane, call, t in st.stuck_calls],
        }

    @v1.get("/instruments", response_model=InstrumentsOut, summary="Instruments the source knows")
    async def instruments() -> dict[str, Any]:
        listed = await service.source.instruments()
        return {"count": len(listed), "instruments": [instrument_to_wire(i) for i in listed]}

    @v1.get("/calendar", response_model=CalendarOut, summary="The exchange's trading days, future sessions included")
    async def calendar() -> dict[str, Any] | JSONResponse:
        try:
            days = await service.source.trading_calendar()
        except LookupError as exc:
            return _error(404, str(exc))
        return {
            "count": len(days),
            "last": days[-1].isoformat() if days else None,
            "days": [d.isoformat() for d in days],
        }

    @v1.get("/bars", response_model=BarsOut, summary="Daily or 1-minute bars of one symbol")
    async def bars(
        symbol: Annotated[str, Query(description="e.g. 600000.SH", max_length=64, json_schema_extra=_SYMBOL)],
        period: Annotated[str, Query(description="1d or 1m", json_schema_extra={"enum": list(PERIODS)})] = "1d",
        start: Annotated[str | None, Query(description=_RANGE_HELP, max_length=32, json_schema_extra=_TIME)] = None,
        end: Annotated[str | None, Query(description=_RANGE_HELP, max_length=32, json_schema_extra=_TIME)] = None,
        adjust: Annotated[
            str, Query(description="none, front or back", json_schema_extra={"enum": list(ADJUSTS)})
        ] = "none",
        limit: Annotated[int, Query(ge=1, le=MAX_BARS, description="at most this many bars, oldest first")] = 10_000,
    ) -> dict[str, Any]:
        code = validate_symbol(symbol)
        freq = Freq(validate_choice(period, "period", PERIODS))
        adj = validate_choice(adjust, "adjust", ADJUSTS)
        first, last = parse_range(start, end)
        empty = first is not None and last is not None and first > last
        found = [] if empty else await service.source.bars(code, freq, first, last, adj)
        shown = found[:limit]
        return {
            "symbol": code,
            "period": freq.value,
            "adjust": adj,
            "count": len(shown),
            "truncated": len(found) > limit,
            "next_start": found[limit].time.isoformat() if len(found) > limit else None,
            "bars": [bar_to_wire(b) for b in shown],
        }

    @v1.get("/quotes", response_model=QuotesOut, summary="Latest snapshot of up to 1,000 symbols")
    async def quotes(
        symbols: Annotated[
            str,
            Query(
                description="comma-separated, e.g. 600000.SH,000001.SZ; for more than fit a URL, POST /v1/quotes",
                json_schema_extra=_SYMBOL_LIST,
            ),
        ],
    ) -> dict[str, Any]:
        return await _quotes(parse_symbol_list(symbols))

    @v1.post("/quotes", response_model=QuotesOut, summary="Latest snapshot of up to 1,000 symbols, as a JSON body")
    async def quotes_post(body: QuotesIn) -> dict[str, Any]:
        if not body.symbols:
            raise InvalidRequest('symbols is required: a list such as ["600000.SH", "000001.SZ"]')
        return await _quotes(validate_symbols(body.symbols))

    async def _quotes(wanted: list[str]) -> dict[str, Any]:
        found = await service.quotes(wanted)
        return {
            "count": len(found),
            "quotes": [tick_to_wire(t, n) for t, n in found.values()],
            "missing": [s for s in wanted if s not in found],
        }

    app.include_router(v1)

    @app.websocket("/v1/stream")
    async def stream(ws: WebSocket) -> None:
        await serve_stream(ws, service)

    @app.get(
        "/metrics",
        summary="Prometheus metrics",
        response_class=Response,
        responses=_ERRORS,
        dependencies=[Security(bearer)],
    )
    async def metrics() -> Response:
        body, content_type = service.metrics.render()
        return Response(body, media_type=content_type)

    if getattr(service, "trading", None) is not None:  # live orders, see core/bridge/trading/router.py
        from core.bridge.trading.router import trading_router

        # Both attributes are attached by core/bridge/trading/router.py when live orders are enabled.
        router = trading_router(service.trading, service.trade_scopes)  # type: ignore[attr-defined]
        app.include_router(router, responses=_ERRORS)

    return app
