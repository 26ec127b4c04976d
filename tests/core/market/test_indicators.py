"""Indicators against straightforward per-bar reference loops, on real daily and minute bars."""

from __future__ import annotations

import math
import statistics

import numpy as np
import pytest

from core.market import indicators as ind
from core.market.series import BarSeries
from core.market.studies import compute_studies


def _close(a: np.ndarray, b: np.ndarray) -> None:
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=1e-9, equal_nan=True)


def ref_ma(x: list[float], n: int) -> list[float]:
    return [math.nan if i < n - 1 else sum(x[i - n + 1 : i + 1]) / n for i in range(len(x))]


def ref_ema(x: list[float], n: int) -> list[float]:
    out: list[float] = []
    for i, v in enumerate(x):
        out.append(v if i == 0 else (2 * v + (n - 1) * out[-1]) / (n + 1))
    return out


def ref_sma_cn(x: list[float], n: int, m: int, seed: float | None = None) -> list[float]:
    out: list[float] = []
    prev = seed
    for v in x:
        if math.isnan(v):
            out.append(math.nan)
            continue
        prev = v if prev is None else (m * v + (n - m) * prev) / n
        out.append(prev)
    return out


def ref_boll(x: list[float], n: int, k: float) -> tuple[list[float], list[float], list[float]]:
    mid, up, low = [], [], []
    for i in range(len(x)):
        if i < n - 1:
            mid.append(math.nan), up.append(math.nan), low.append(math.nan)
            continue
        window = x[i - n + 1 : i + 1]
        m, sd = statistics.fmean(window), statistics.pstdev(window)
        mid.append(m), up.append(m + k * sd), low.append(m - k * sd)
    return mid, up, low


def ref_kdj(h: list[float], lo: list[float], c: list[float], n: int = 9) -> tuple[list[float], ...]:
    ks, ds, js = [], [], []
    k = d = 50.0
    for i in range(len(c)):
        hh, ll = max(h[max(0, i - n + 1) : i + 1]), min(lo[max(0, i - n + 1) : i + 1])
        rsv = (c[i] - ll) / (hh - ll) * 100 if hh > ll else 50.0
        k = (2 * k + rsv) / 3
        d = (2 * d + k) / 3
        ks.append(k), ds.append(d), js.append(3 * k - 2 * d)
    return ks, ds, js


def ref_rsi(c: list[float], n: int) -> list[float]:
    out = [math.nan]
    up = total = None
    for i in range(1, len(c)):
        change = c[i] - c[i - 1]
        up = max(change, 0) if up is None else (max(change, 0) + (n - 1) * up) / n
        total = abs(change) if total is None else (abs(change) + (n - 1) * total) / n
        out.append(up / total * 100 if total > 0 else math.nan)
    return out


@pytest.fixture(params=["daily_600000", "minutes_000001"])
def bars(request: pytest.FixtureRequest) -> BarSeries:
    return request.getfixturevalue(request.param)


def test_ma_and_ema(bars: BarSeries) -> None:
    close = bars.close.tolist()
    for n in (5, 10, 20, 60, 250):
        _close(ind.ma(bars.close, n), ref_ma(close, n))
    for n in (2, 12, 26, 50):
        _close(ind.ema(bars.close, n), ref_ema(close, n))


def test_boll_20_2(bars: BarSeries) -> None:
    for got, want in zip(ind.boll(bars.close), ref_boll(bars.close.tolist(), 20, 2.0), strict=True):
        _close(got, want)


def test_macd_uses_twice_the_dif_dea_gap(bars: BarSeries) -> None:
    close = bars.close.tolist()
    dif = [a - b for a, b in zip(ref_ema(close, 12), ref_ema(close, 26), strict=True)]
    dea = ref_ema(dif, 9)
    got_dif, got_dea, got_hist = ind.macd(bars.close)
    _close(got_dif, dif)
    _close(got_dea, dea)
    _close(got_hist, [2 * (a - b) for a, b in zip(dif, dea, strict=True)])


def test_kdj_9_3_3_starts_at_50(bars: BarSeries) -> None:
    for got, want in zip(
        ind.kdj(bars.high, bars.low, bars.close),
        ref_kdj(bars.high.tolist(), bars.low.tolist(), bars.close.tolist()),
        strict=True,
    ):
        _close(got, want)


def test_rsi_with_wilder_smoothing(bars: BarSeries) -> None:
    for n in (6, 12, 24):
        _close(ind.rsi(bars.close, n), ref_rsi(bars.close.tolist(), n))


def test_chinese_sma_seeded_and_long_series_stay_exact(daily_600000: BarSeries) -> None:
    # Several recursion blocks (a = 1/2 gives short blocks): the block joins must be seamless.
    x = np.tile(daily_600000.close, 3)
    _close(ind.sma_cn(x, 2, 1), ref_sma_cn(x.tolist(), 2, 1))
    _close(ind.smooth(x, 1 / 3, prior=50.0), ref_sma_cn(x.tolist(), 3, 1, seed=50.0))


def test_minute_bars_with_flat_windows_keep_kdj_finite(minutes_000001: BarSeries) -> None:
    flat = minutes_000001.close[:30].copy()
    flat[:] = 13.35
    k, d, j = ind.kdj(flat, flat, flat)
    for line in (k, d, j):
        np.testing.assert_allclose(line, 50.0, rtol=1e-12)
    assert np.isnan(ind.rsi(flat, 6)).all()  # no movement at all: RSI is undefined, not 0 or 100


def test_study_groups_have_one_value_per_bar(daily_600000: BarSeries) -> None:
    studies = compute_studies(daily_600000)
    assert set(studies) == {"MA", "EMA", "BOLL", "VOL", "MACD", "KDJ", "RSI"}
    assert list(studies["MA"]) == ["MA5", "MA10", "MA20", "MA60"]
    for lines in studies.values():
        for values in lines.values():
            assert values.shape == (len(daily_600000),)
