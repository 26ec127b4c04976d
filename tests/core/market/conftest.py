"""Real bars for the chart computations, read through the same CSV parser the importer uses."""

from __future__ import annotations

from pathlib import Path

import pytest

from core.data.csv_bars import read_bar_file
from core.market.series import BarSeries
from tests.realdata import cn_data  # noqa: F401  (pytest fixture)


def load_series(path: Path, freq: str) -> BarSeries:
    parsed = read_bar_file(path, freq)
    (frame,) = parsed.frames.values()
    return BarSeries.from_columns(frame)


@pytest.fixture(scope="session")
def minutes_000001(cn_data: Path) -> BarSeries:  # noqa: F811
    """000001.SZ vendor 1m bars, January 2018 (21 days x 240 bars, the 09:25 auction left out)."""
    return load_series(cn_data / "minute" / "000001.SZ.csv", "1m")


@pytest.fixture(scope="session")
def daily_000001(cn_data: Path) -> BarSeries:  # noqa: F811
    return load_series(cn_data / "daily" / "000001.SZ.csv", "1d")


@pytest.fixture(scope="session")
def daily_600000(cn_data: Path) -> BarSeries:  # noqa: F811
    """600000.SH daily bars 2007-2022 with factors (several ex-dividend days)."""
    return load_series(cn_data / "daily" / "600000.SH.csv", "1d")
