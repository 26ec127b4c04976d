"""IC, ICIR, Rank IC, Rank ICIR against pandas' groupby correlation (Qlib's calc_ic)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.datasets.metrics import daily_ic, signal_metrics


def _qlib_style(frame: pd.DataFrame) -> dict[str, float]:
    ic = frame.groupby("datetime").apply(lambda g: g["score"].corr(g["label"]))
    ric = frame.groupby("datetime").apply(lambda g: g["score"].corr(g["label"], method="spearman"))
    return {"ic": ic.mean(), "icir": ic.mean() / ic.std(), "rank_ic": ric.mean(), "rank_icir": ric.mean() / ric.std()}


def test_metrics_equal_the_pandas_computation() -> None:
    rng = np.random.default_rng(0)
    days = np.repeat(pd.date_range("2020-01-01", periods=30).to_numpy(), 25)
    label = rng.normal(size=len(days))
    score = 0.2 * label + rng.normal(size=len(days))
    score[::7] = np.round(score[::7], 1)  # ties for the rank version
    label[5] = np.nan  # a missing label is left out of that day's pairs
    frame = pd.DataFrame({"datetime": days, "score": score, "label": label})
    starts = np.flatnonzero(np.r_[True, days[1:] != days[:-1]])
    got = signal_metrics(score, label, starts)
    for key, value in _qlib_style(frame).items():
        assert got[key] == pytest.approx(value, rel=1e-9), key
    assert got["days"] == 30 and got["ic"] > 0.1


def test_degenerate_days_give_nan_and_are_skipped() -> None:
    scores = np.array([1.0, 1.0, 1.0, 0.1, 0.2, 0.3, 5.0])
    labels = np.array([0.1, 0.2, 0.3, 0.1, 0.2, 0.4, 1.0])
    ic = daily_ic(scores, labels, np.array([0, 3, 6]))
    assert np.isnan(ic[0]) and ic[1] == pytest.approx(np.corrcoef(scores[3:6], labels[3:6])[0, 1]) and np.isnan(ic[2])
    assert signal_metrics(scores, labels, np.array([0, 3, 6]))["days"] == 1
