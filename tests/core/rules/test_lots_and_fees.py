"""Lot rounding by board and date, odd lots, commission minimum, stamp duty and transfer fee by date."""

from __future__ import annotations

import datetime as dt

import pytest

from core.rules.fees import CostModel, stamp_duty_rate, transfer_fee
from core.rules.lots import lot_rule, round_buy, round_sell

DAY = dt.date(2021, 6, 1)


def test_buys_round_down_to_board_lots() -> None:
    assert round_buy("600000.SH", DAY, 1999) == 1900
    assert round_buy("000001.SZ", DAY, 99) == 0
    assert round_buy("300750.SZ", DAY, 250) == 200
    # STAR: at least 200 shares, then single shares.
    assert round_buy("688981.SH", DAY, 199) == 0
    assert round_buy("688981.SH", DAY, 201.7) == 201
    assert lot_rule("688981.SH", dt.date(2019, 7, 22)).minimum == 200
    # BSE: 100 minimum, then single shares.
    assert round_buy("430047.BJ", dt.date(2022, 1, 4), 157) == 157
    assert round_buy("600000.SH", DAY, 157, unit=100) == 100


def test_odd_lots_can_only_be_sold_whole() -> None:
    # 1,050 shares (say after a 5% bonus issue): sell all at once, or whole lots.
    assert round_sell("600000.SH", DAY, 1050, sellable=1050) == 1050
    assert round_sell("600000.SH", DAY, 1049, sellable=1050) == 1000
    assert round_sell("600000.SH", DAY, 50, sellable=1050) == 0
    assert round_sell("600000.SH", DAY, 5000, sellable=1050) == 1050
    assert round_sell("688981.SH", DAY, 150, sellable=260) == 0
    assert round_sell("688981.SH", DAY, 230, sellable=260) == 230


def test_minimum_commission_applies_to_small_orders() -> None:
    costs = CostModel(commission_rate=0.00025, min_commission=5.0)
    small = costs.fees("000001.SZ", DAY, False, 10.0, 100)  # 1,000 CNY: 0.25 CNY by rate
    assert small.commission == 5.0 and small.stamp_duty == 0.0
    big = costs.fees("000001.SZ", DAY, False, 10.0, 100_000)
    assert big.commission == pytest.approx(250.0)


@pytest.mark.parametrize(
    ("day", "buy", "sell"),
    [
        (dt.date(2008, 4, 23), 0.003, 0.003),
        (dt.date(2008, 4, 24), 0.001, 0.001),
        (dt.date(2008, 9, 18), 0.001, 0.001),
        (dt.date(2008, 9, 19), 0.0, 0.001),  # sells only from 2008-09-19
        (dt.date(2023, 8, 25), 0.0, 0.001),  # last trading day at 0.1% (2023-08-27 was a Sunday)
        (dt.date(2023, 8, 28), 0.0, 0.0005),  # halved from 2023-08-28
    ],
)
def test_stamp_duty_by_date(day: dt.date, buy: float, sell: float) -> None:
    assert stamp_duty_rate(day, sell=False) == buy
    assert stamp_duty_rate(day, sell=True) == sell


def test_stamp_duty_across_the_2023_cut_on_a_real_order_size() -> None:
    costs = CostModel()
    before = costs.fees("600519.SH", dt.date(2023, 8, 25), True, 1800.0, 100)
    after = costs.fees("600519.SH", dt.date(2023, 8, 28), True, 1800.0, 100)
    assert before.stamp_duty == pytest.approx(180.0) and after.stamp_duty == pytest.approx(90.0)
    assert costs.fees("600519.SH", dt.date(2023, 8, 28), False, 1800.0, 100).stamp_duty == 0.0


def test_transfer_fee_by_exchange_and_date() -> None:
    # Before 2015-08-01 only Shanghai charged it, per share with a 1 CNY minimum.
    assert transfer_fee("600000.SH", dt.date(2015, 7, 31), 10_000.0, 500) == 1.0
    assert transfer_fee("600000.SH", dt.date(2015, 7, 31), 100_000.0, 5000) == 5.0
    assert transfer_fee("000001.SZ", dt.date(2015, 7, 31), 100_000.0, 5000) == 0.0
    assert transfer_fee("000001.SZ", dt.date(2015, 8, 3), 100_000.0, 5000) == pytest.approx(2.0)
    assert transfer_fee("600000.SH", dt.date(2022, 4, 29), 100_000.0, 5000) == pytest.approx(1.0)


def test_slippage_moves_the_price_against_the_order_on_the_tick() -> None:
    costs = CostModel(slippage=0.001)
    assert costs.slipped(10.00, sell=False) == 10.01
    assert costs.slipped(10.00, sell=True) == 9.99
    assert CostModel().slipped(10.0, sell=True) == 10.0
