"""Technical indicators with the conventions of Chinese terminals (通达信/同花顺), vectorised with numpy.

Every function takes float arrays and returns arrays of the same length; values that are not yet
defined (an MA before it has N bars) are NaN, so a chart leaves them blank.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

# Blocks of the closed-form recursion are sized so a**-block stays far from float overflow.
_MAX_GROWTH_LOG = 200 * math.log(10.0)
_MAX_BLOCK = 8192


def ma(x: np.ndarray, n: int) -> np.ndarray:
    """Simple moving average MA(X,N); NaN for the first N-1 bars."""
    out = np.full(x.shape[0], np.nan)
    if n <= 0 or x.shape[0] < n:
        return out
    out[n - 1 :] = sliding_window_view(x, n).mean(axis=-1)
    return out


def smooth(x: np.ndarray, alpha: float, prior: float | None = None) -> np.ndarray:
    """The recursion y[t] = y[t-1] + alpha*(x[t] - y[t-1]) from the first finite x.

    Without `prior` the first finite x seeds y (how terminals start EMA and SMA); with it, `prior`
    stands for y before that bar (KDJ starts K and D at 50). NaN before the first finite x.
    """
    n = x.shape[0]
    out = np.full(n, np.nan)
    finite = np.flatnonzero(np.isfinite(x))
    if finite.size == 0:
        return out
    start = int(finite[0])
    if prior is None:
        out[start] = x[start]
        value, start = float(x[start]), start + 1
    else:
        value = float(prior)
    a = 1.0 - alpha
    if a <= 0.0:
        out[start:] = x[start:]
        return out
    block = min(_MAX_BLOCK, max(1, int(_MAX_GROWTH_LOG / -math.log(a))))
    k = np.arange(block, dtype=float)
    grow, decay = a**-k, a**k
    # y[s+k] = a**k * (a*prev + alpha * sum_j a**-j * x[s+j]): one cumsum per block, no Python loop per bar.
    for s in range(start, n, block):
        chunk = x[s : s + block]
        m = chunk.shape[0]
        y = decay[:m] * (a * value + alpha * np.cumsum(grow[:m] * chunk))
        out[s : s + m] = y
        value = float(y[-1])
    return out


def ema(x: np.ndarray, n: int) -> np.ndarray:
    """EMA(X,N) = (2·X + (N-1)·Y')/(N+1), seeded with the first value as terminals do."""
    return smooth(x, 2.0 / (n + 1))


def sma_cn(x: np.ndarray, n: int, m: int = 1) -> np.ndarray:
    """The Chinese SMA(X,N,M) = (M·X + (N-M)·Y')/N, seeded with the first value (Wilder's for M=1)."""
    return smooth(x, m / n)


def boll(close: np.ndarray, n: int = 20, k: float = 2.0, ddof: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Bollinger bands (mid, upper, lower): MA(C,N) ± k standard deviations of the last N closes.

    The population deviation (ddof=0) is Bollinger's own definition and what TA-Lib computes.
    """
    mid = ma(close, n)
    dev = np.full(close.shape[0], np.nan)
    if close.shape[0] >= n:
        dev[n - 1 :] = sliding_window_view(close, n).std(axis=-1, ddof=ddof)
    return mid, mid + k * dev, mid - k * dev


def macd(
    close: np.ndarray, fast: int = 12, slow: int = 26, signal: int = 9
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """MACD as Chinese terminals draw it: DIF, DEA and the histogram 2·(DIF − DEA)."""
    dif = ema(close, fast) - ema(close, slow)
    dea = ema(dif, signal)
    return dif, dea, 2.0 * (dif - dea)


def highest(x: np.ndarray, n: int) -> np.ndarray:
    """HHV(X,N): the max of the last N values, over the bars available while fewer than N exist."""
    return _rolling_extreme(x, n, np.max)


def lowest(x: np.ndarray, n: int) -> np.ndarray:
    """LLV(X,N): the min of the last N values, over the bars available while fewer than N exist."""
    return _rolling_extreme(x, n, np.min)


def _rolling_extreme(x: np.ndarray, n: int, reduce: Callable[..., np.ndarray]) -> np.ndarray:
    if x.shape[0] == 0:
        return x.astype(float)
    # Padding with the first value makes the early windows equal to the expanding ones.
    padded = np.concatenate([np.full(n - 1, x[0]), x])
    return reduce(sliding_window_view(padded, n), axis=-1)


def kdj(
    high: np.ndarray, low: np.ndarray, close: np.ndarray, n: int = 9, m1: int = 3, m2: int = 3
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """KDJ(9,3,3): RSV over N bars, K = SMA(RSV,M1,1), D = SMA(K,M2,1), both starting at 50; J = 3K − 2D.

    A window with no range (one price for N bars, common on quiet minute bars) carries no
    information, so its RSV sits at the midpoint 50 instead of dividing by zero.
    """
    hh, ll = highest(high, n), lowest(low, n)
    span = hh - ll
    with np.errstate(divide="ignore", invalid="ignore"):
        rsv = np.where(span > 0, (close - ll) / span * 100.0, 50.0)
    k = smooth(rsv, 1.0 / m1, prior=50.0)
    d = smooth(k, 1.0 / m2, prior=50.0)
    return k, d, 3.0 * k - 2.0 * d


def rsi(close: np.ndarray, n: int) -> np.ndarray:
    """RSI(N) = SMA(MAX(C−LC,0),N,1) / SMA(ABS(C−LC),N,1) × 100: Wilder's smoothing, as terminals use.

    The first bar has no previous close (NaN); while the price has not moved at all it is NaN too.
    """
    change = np.full(close.shape[0], np.nan)
    change[1:] = close[1:] - close[:-1]
    up = sma_cn(np.maximum(change, 0.0), n)
    both = sma_cn(np.abs(change), n)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(both > 0, up / both * 100.0, np.nan)
