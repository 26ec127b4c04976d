"""Price limits by board and date, rounded to the tick."""

import datetime as dt
from pathlib import Path

import numpy as np
import pytest

from core.backtest.market import MarketPanel, load_market
from core.rules.price_limits import (
    free_days_after_listing,
    limit_fraction,
    limit_fraction_series,
    limit_prices,
    round_to_tick,
)
from core.rules.risk_warning import read_risk_warning_file
from core.storage import MarketStore
from tests.core.backtest.fixtures import panel


@pytest.mark.parametrize(
    ("symbol", "day", "fraction"),
    [
        ("600000.SH", dt.date(2023, 1, 3), 0.10),
        ("300750.SZ", dt.date(2020, 8, 21), 0.10),
        ("300750.SZ", dt.date(2020, 8, 24), 0.20),  # ChiNext reform effective date
        ("688981.SH", dt.date(2021, 1, 4), 0.20),
        ("430047.BJ", dt.date(2022, 1, 4), 0.30),
        ("000300.SH", dt.date(2022, 1, 4), None),  # indices have no limit
    ],
)
def test_limit_fraction_by_board_and_date(symbol: str, day: dt.date, fraction: float | None) -> None:
    assert limit_fraction(symbol, day) == fraction


def test_limit_prices_round_half_up_to_the_tick() -> None:
    assert limit_prices("600000.SH", dt.date(2023, 1, 3), 7.25) == (7.98, 6.53)  # 7.975 -> 7.98, 6.525 -> 6.53
    assert limit_prices("300750.SZ", dt.date(2023, 1, 3), 400.0) == (480.0, 320.0)
    assert limit_prices("000300.SH", dt.date(2023, 1, 3), 4000.0) is None


@pytest.mark.parametrize(
    ("symbol", "day", "fraction"),
    [
        ("600000.SH", dt.date(2025, 7, 4), 0.05),  # main-board ST: 5% until the 2025 revision...
        ("600000.SH", dt.date(2025, 7, 7), 0.10),  # ...10% from 2025-07-07
        ("000001.SZ", dt.date(2012, 5, 2), 0.05),
        ("300001.SZ", dt.date(2020, 8, 21), 0.05),  # ChiNext ST before the reform
        ("300001.SZ", dt.date(2020, 8, 24), 0.20),
        ("688001.SH", dt.date(2021, 3, 1), 0.20),
    ],
)
def test_risk_warning_limits_by_date(symbol: str, day: dt.date, fraction: float) -> None:
    assert limit_fraction(symbol, day, st=True) == fraction


def test_new_listings_trade_without_limit_for_their_first_days() -> None:
    star = dt.date(2019, 7, 22)
    assert free_days_after_listing("688001.SH", star) == 5
    assert limit_fraction("688001.SH", star, list_date=star, days_listed=5) is None
    assert limit_fraction("688001.SH", dt.date(2019, 7, 29), list_date=star, days_listed=6) == 0.20
    # ChiNext: first day only before the reform, five days for registration listings from 2020-08-24.
    assert free_days_after_listing("300750.SZ", dt.date(2018, 6, 11)) == 1
    assert free_days_after_listing("300999.SZ", dt.date(2020, 8, 24)) == 5
    assert free_days_after_listing("601128.SH", dt.date(2023, 4, 10)) == 5
    assert free_days_after_listing("601128.SH", dt.date(2016, 5, 1)) == 1
    assert limit_fraction("300750.SZ", dt.date(2018, 6, 12), list_date=dt.date(2018, 6, 11), days_listed=2) == 0.10


def test_vectorised_limits_match_the_scalar_rules_and_decimal_rounding(real_store: MarketStore) -> None:
    days = np.array(["2020-08-21", "2020-08-24", "2025-07-04", "2025-07-07"], dtype="datetime64[D]")
    st = np.array([False, False, True, True])
    got = limit_fraction_series("300124.SZ", days, st)
    want = [limit_fraction("300124.SZ", d.astype(dt.date), st=s) for d, s in zip(days, st, strict=True)]
    assert got.tolist() == want
    # Tick rounding without Decimal agrees with the exchanges' half-up rounding on every real previous close.
    closes = real_store.read_bars("600519.SH", "1d")["close"].to_numpy()
    fast = round_to_tick(closes * 1.1)
    exact = [limit_prices("600519.SH", dt.date(2020, 1, 2), c)[0] for c in closes]  # type: ignore[index]
    assert fast.tolist() == exact


def test_real_chinext_move_beyond_ten_percent_only_after_the_reform(real_store: MarketStore) -> None:
    p = panel(real_store, ["300750.SZ", "300124.SZ"], "2020-01-02", "2020-12-31")
    j, i = p.index["300124.SZ"], int(np.flatnonzero(p.days == np.datetime64("2020-11-02"))[0])
    # 2020-11-02: 300124.SZ closed 20% up, exactly at its 20% limit of 64.24 * 1.2 = 77.09.
    assert p.close[i, j] == 77.09 and p.limit_up[i, j] == 77.09
    j, i = p.index["300750.SZ"], int(np.flatnonzero(p.days == np.datetime64("2020-01-22"))[0])
    # 2020-01-22 (before the reform): 300750.SZ stopped at its 10% limit 121.65 * 1.1 = 133.82.
    assert p.close[i, j] == 133.82 and p.limit_up[i, j] == 133.82 and p.limit_down[i, j] == 109.49


def test_limit_reference_price_follows_the_ex_right_adjustment(real_store: MarketStore) -> None:
    p = panel(real_store, ["600000.SH"], "2017-05-25", "2017-05-25")
    i = p.first
    # 600000.SH went ex-bonus on 2017-05-25: reference 15.47 * 7.1197 / 9.3738 = 11.75, limit up 12.93.
    assert p.limit_up[i, 0] == 12.93 and p.limit_down[i, 0] == 10.58


def test_first_listing_day_has_no_limit_in_real_data(real_store: MarketStore) -> None:
    p = panel(real_store, ["300750.SZ"], "2018-06-11", "2018-06-13")
    assert np.isnan(p.limit_up[p.first, 0])  # CATL's first day, +44% from the IPO price
    assert p.limit_up[p.first + 1, 0] == 39.82  # the next day: 10% above 36.20


def test_risk_warning_periods_narrow_the_limit(real_store: MarketStore, tmp_path: Path) -> None:
    f = tmp_path / "st.csv"
    f.write_text("symbol,start,end\nSH600000,2017-05-01,2017-05-31\n000001.SZ,2020-01-02,\n", encoding="utf-8")
    st = read_risk_warning_file(f)
    assert st == {"600000.SH": [("2017-05-01", "2017-05-31")], "000001.SZ": [("2020-01-02", "9999-12-31")]}
    p = next(
        x
        for x in load_market(real_store, ["600000.SH"], dt.date(2017, 5, 25), dt.date(2017, 6, 1), st)
        if isinstance(x, MarketPanel)
    )
    # As an ST stock on its real ex-bonus day: 5% over the 11.75 reference = 12.3375 -> 12.34; back to 10% in June.
    assert p.limit_up[p.first, 0] == 12.34 and p.limit_down[p.first, 0] == 11.16
    assert str(p.days[-1]) == "2017-06-01"
    assert p.limit_up[-1, 0] == round_to_tick(np.array([p.mark[-2, 0] * 1.1]))[0]
    f.write_text("symbol,start,end\n600000.SH,2017-05-01,2017-04-30\n", encoding="utf-8")
    with pytest.raises(ValueError, match=r"st\.csv:2: end 2017-04-30 is before start"):
        read_risk_warning_file(f)
