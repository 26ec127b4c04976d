"""Order verdicts on real days: limit-up and limit-down refusals by mode, suspensions, T+1, cash, lots."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from core.rules.engine import LimitMode, Refusal, RuleConfig, check_buy, check_sell
from core.rules.positions import PositionBook
from core.storage import MarketStore
from tests.core.backtest.fixtures import panel


def quote_on(store: MarketStore, symbol: str, day: str):  # noqa: ANN201 - returns (quote, date)
    p = panel(store, [symbol], day, day)
    assert str(p.days[p.first]) == day
    return p.quote(p.first, 0), dt.date.fromisoformat(day)


@pytest.mark.parametrize(
    ("mode", "deal", "refused"),
    [
        (LimitMode.CLOSE, 11.75, True),
        (LimitMode.TOUCH, 11.75, True),
        (LimitMode.DEAL, 11.75, False),
        (LimitMode.DEAL, 12.93, True),
        (LimitMode.OFF, 12.93, False),
    ],
)
def test_buy_refused_on_a_real_limit_up_day(
    real_store: MarketStore, mode: LimitMode, deal: float, refused: bool
) -> None:
    # 600000.SH 2017-05-25 opened at 11.75 and closed at its limit-up 12.93.
    quote, day = quote_on(real_store, "600000.SH", "2017-05-25")
    v = check_buy("600000.SH", day, quote, deal, 1000, 1e6, RuleConfig(limit_mode=mode))
    assert (v.refusal is Refusal.LIMIT_UP) is refused
    assert v.shares == (0 if refused else 1000)


def test_one_price_limit_down_blocks_every_sell(real_store: MarketStore) -> None:
    # 600519.SH 2018-10-29 traded at 549.09 all day, 10% under 610.10.
    quote, day = quote_on(real_store, "600519.SH", "2018-10-29")
    assert quote is not None and quote.limit_down == 549.09
    for mode in (LimitMode.CLOSE, LimitMode.TOUCH, LimitMode.DEAL):
        v = check_sell("600519.SH", day, quote, 549.09, 100, 100, 100, RuleConfig(limit_mode=mode))
        assert v.refusal is Refusal.LIMIT_DOWN
    assert check_buy("600519.SH", day, quote, 549.09, 100, 1e6, RuleConfig()).refusal is None


def test_no_trade_on_a_real_suspension_day(real_store: MarketStore) -> None:
    # 600030.SH has no bars from 2018-12-25 (suspended) while the market traded.
    p = panel(real_store, ["600030.SH", "600000.SH"], "2018-12-24", "2018-12-28")
    i = int(np.flatnonzero(p.days == np.datetime64("2018-12-25"))[0])
    assert p.quote(i, p.index["600000.SH"]) is not None
    quote = p.quote(i, p.index["600030.SH"])
    assert quote is None
    day = dt.date(2018, 12, 25)
    assert check_buy("600030.SH", day, quote, float("nan"), 100, 1e6, RuleConfig()).refusal is Refusal.SUSPENDED
    assert check_sell("600030.SH", day, quote, 16.0, 100, 100, 100, RuleConfig()).refusal is Refusal.SUSPENDED
    assert p.mark[i, p.index["600030.SH"]] == 16.01  # valued at its last close while suspended


def test_t_plus_one_buy_today_cannot_sell_today(real_store: MarketStore) -> None:
    quote, day = quote_on(real_store, "000001.SZ", "2020-07-07")
    book = PositionBook()
    v = check_buy("000001.SZ", day, quote, quote.open, 1000, 1e6, RuleConfig())
    book.buy("000001.SZ", v.shares)
    sell = check_sell(
        "000001.SZ", day, quote, quote.close, 1000, book.total("000001.SZ"), book.sellable("000001.SZ"), RuleConfig()
    )
    assert sell.refusal is Refusal.T_PLUS_1 and book.total("000001.SZ") == 1000
    with pytest.raises(ValueError, match="sellable"):
        book.sell("000001.SZ", 100)
    book.end_day()  # the next trading day
    assert book.sellable("000001.SZ") == 1000
    t0 = PositionBook(t_plus_1=False)
    t0.buy("000001.SZ", 100)
    assert t0.sellable("000001.SZ") == 100


def test_buy_is_cut_to_the_cash_including_fees(real_store: MarketStore) -> None:
    quote, day = quote_on(real_store, "000001.SZ", "2020-07-07")
    price = quote.open
    cash = price * 1000 + 4.0  # not enough for 1,000 shares plus the 5 CNY minimum commission
    v = check_buy("000001.SZ", day, quote, price, 1000, cash, RuleConfig())
    assert v.shares == 900 and v.fees is not None and v.shares * v.price + v.fees.total <= cash
    assert check_buy("000001.SZ", day, quote, price, 1000, 50.0, RuleConfig()).refusal is Refusal.CASH
    assert check_buy("000001.SZ", day, quote, price, 99, 1e6, RuleConfig()).refusal is Refusal.LOT
