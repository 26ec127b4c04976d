"""Response models of the /v1 HTTP API, for validation of what goes out and for the OpenAPI document."""

from __future__ import annotations

from pydantic import BaseModel, Field

from core.bridge.validation import SYMBOL_PATTERN


class ErrorOut(BaseModel):
    """Every 4xx/5xx body: a machine-readable code and a sentence for people."""

    error: str = Field(description="short code, e.g. bad_request, unauthorized, rate_limited")
    message: str


class StuckCallOut(BaseModel):
    lane: str = Field(description="xtquant-control, xtquant-quotes, xtquant-history or xtquant-probe")
    call: str = Field(description="the xtquant call, e.g. get_full_tick")
    running_s: float


class HealthOut(BaseModel):
    status: str = Field(description="ok, or degraded while the data source is disconnected")
    source: str = Field(description="xtquant, replay or sim")
    source_connected: bool
    qmt_connected: bool | None = Field(description="QMT link state; null for sources that are not QMT")
    paused: bool
    version: str
    api: str
    uptime_s: float
    clients: int
    subscribed_symbols: int
    ticks_per_s: float = Field(description="ticks received from the source, averaged over the last seconds")
    reconnects: int
    stuck_calls: list[StuckCallOut] = Field(
        default_factory=list, description="calls to QMT past their time limit and not yet returned; isolated"
    )


class QuotesIn(BaseModel):
    """The body of POST /v1/quotes: symbol lists too long for a URL."""

    symbols: list[str] = Field(
        max_length=1000,
        description='e.g. ["600000.SH", "000001.SZ"]; 1 to 1,000 symbols',
        json_schema_extra={"items": {"type": "string", "pattern": f"^{SYMBOL_PATTERN}$"}, "minItems": 1},
    )


class InstrumentOut(BaseModel):
    symbol: str
    exchange: str
    board: str
    name: str
    list_date: str | None
    delist_date: str | None
    total_shares: float | None = Field(default=None, description="share capital (总股本), shares; null when unknown")
    float_shares: float | None = Field(default=None, description="tradable shares (流通股本); null when unknown")


class InstrumentsOut(BaseModel):
    count: int
    instruments: list[InstrumentOut]


class CalendarOut(BaseModel):
    count: int
    last: str | None = Field(description="the last day the exchange calendar is known for (its last holiday year)")
    days: list[str] = Field(description="trading days, oldest first, ISO dates; future sessions included")


class BarOut(BaseModel):
    time: str = Field(description="bar time; 1-minute bars are labelled by their end, as exchanges do")
    open: float
    high: float
    low: float
    close: float
    volume: float = Field(description="shares")
    amount: float | None = Field(description="CNY")
    factor: float | None = Field(description="cumulative backward-adjustment factor of the raw bar")


class BarsOut(BaseModel):
    symbol: str
    period: str
    adjust: str
    count: int
    truncated: bool = Field(description="true when more bars matched than `limit`; ask again from next_start")
    next_start: str | None
    bars: list[BarOut]


class TickOut(BaseModel):
    symbol: str
    time: str = Field(description="exchange time, Beijing")
    last: float
    open: float
    high: float
    low: float
    pre_close: float
    volume: float = Field(description="cumulative shares today")
    amount: float = Field(description="cumulative CNY today")
    bid_prices: list[float]
    bid_volumes: list[float]
    ask_prices: list[float]
    ask_volumes: list[float]
    limit_up: float
    limit_down: float
    suspended: bool
    n: int = Field(description="the bridge's ingest number of this tick; 0 when read from the source directly")


class QuotesOut(BaseModel):
    count: int
    quotes: list[TickOut]
    missing: list[str] = Field(description="requested symbols the source has no quote for")
