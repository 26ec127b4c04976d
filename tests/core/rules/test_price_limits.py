"""Price limits by board and date, rounded to the tick."""

import datetime as dt

import pytest

from core.rules.price_limits import limit_fraction, limit_prices


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
