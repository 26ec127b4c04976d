"""Ensemble runs on real tiny LightGBM runs: mean and rank-mean with ties and missing stocks, scoring, bad input."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.research.ensemble import combine, create_ensemble
from core.research.registry import RunRegistry, UnknownRun
from core.research.scoring import Scores, score_days
from tests.core.research.slices import Slice, train_tiny_lightgbm


@pytest.fixture(scope="module")
def members(research_slice: Slice) -> tuple[str, str, str]:
    """Two runs on the same 20 stocks (different seeds and leaves) and one on 15 stocks."""
    s = research_slice
    a = train_tiny_lightgbm(s, count=20, seed=11, colsample_bytree=0.5)
    b = train_tiny_lightgbm(s, count=20, seed=12, num_leaves=7, colsample_bytree=0.5)
    c = train_tiny_lightgbm(s, count=15, seed=13)
    return a, b, c


def test_rank_mean_gives_tied_scores_their_average_rank_whatever_the_row_order(
    research_slice: Slice, members: tuple[str, str, str]
) -> None:
    registry = RunRegistry(research_slice.data_dir)
    a = registry.predictions(members[0])
    b = a.assign(score=np.round(a["score"].to_numpy() * 50) / 50)  # coarse: many ties within a day
    assert b.groupby(level="datetime")["score"].apply(lambda x: x.duplicated().any()).mean() > 0.5
    out = combine([a, b], "rank-mean")
    day = a.index.get_level_values("datetime")[0]
    sa, sb = a.loc[day, "score"], b.loc[day, "score"]
    expected = (sa.rank(pct=True) + sb.rank(method="average", pct=True)) / 2
    np.testing.assert_allclose(out.loc[day, "score"].to_numpy(), expected.to_numpy(), rtol=0, atol=1e-12)
    shuffled = combine([a.sample(frac=1, random_state=0), b.sample(frac=1, random_state=1)], "rank-mean")
    pd.testing.assert_frame_equal(shuffled, out)
    tied = sb[sb.duplicated(keep=False)].index
    assert len(tied) and (sb.rank(pct=True)[tied].groupby(sb[tied]).nunique() == 1).all()


def test_a_stock_missing_from_a_member_counts_in_the_others_mean_only(
    research_slice: Slice, members: tuple[str, str, str]
) -> None:
    registry = RunRegistry(research_slice.data_dir)
    a, b = registry.predictions(members[0]), registry.predictions(members[1])
    gone = a.index[5]
    out = combine([a, b.drop(index=gone)], "mean")
    assert out.loc[gone, "score"] == pytest.approx(a.loc[gone, "score"])
    other = a.index[6]
    assert out.loc[other, "score"] == pytest.approx((a.loc[other, "score"] + b.loc[other, "score"]) / 2)
    assert len(out) == len(a)


def test_ensemble_run_registers_scores_and_scores_new_days_like_its_members(
    research_slice: Slice, members: tuple[str, str, str]
) -> None:
    s = research_slice
    registry = RunRegistry(s.data_dir)
    record = create_ensemble(registry, members[:2], "rank-mean")
    assert record.model == "ensemble" and record.config["ensemble"]["members"] == list(members[:2])
    stored = registry.predictions(record.run_id)
    expected = combine([registry.predictions(m) for m in members[:2]], "rank-mean")
    pd.testing.assert_series_equal(stored["score"], expected["score"])
    assert np.isfinite(record.metrics["rank_ic"]) and registry.can_score(record.run_id)
    *_, scored = score_days(s.data_dir, record.run_id, "2011-12-01", "2011-12-31")
    member_scores = []
    for m in members[:2]:
        *_, one = score_days(s.data_dir, m, "2011-12-01", "2011-12-31")
        assert isinstance(one, Scores)
        member_scores.append(one.frame.set_index(["datetime", "instrument"]))
    assert isinstance(scored, Scores)
    got = scored.frame.set_index(["datetime", "instrument"])["score"]
    pd.testing.assert_series_equal(got, combine(member_scores, "rank-mean")["score"])
    december = stored[stored.index.get_level_values("datetime") >= "2011-12-01"]["score"]
    np.testing.assert_allclose(np.sort(got.to_numpy()), np.sort(december.to_numpy()), atol=1e-9)


def test_bad_members_are_refused_with_what_is_wrong(research_slice: Slice, members: tuple[str, str, str]) -> None:
    registry = RunRegistry(research_slice.data_dir)
    before = len(registry.runs())
    with pytest.raises(UnknownRun, match="no run 'nope'"):
        create_ensemble(registry, [members[0], "nope"])
    with pytest.raises(ValueError, match="different universes"):
        create_ensemble(registry, [members[0], members[2]])
    with pytest.raises(ValueError, match="at least two different"):
        create_ensemble(registry, [members[0], members[0]])
    with pytest.raises(ValueError, match="bad method"):
        create_ensemble(registry, members[:2], "median")
    create_ensemble(registry, members[:2], "mean", name="blend")
    with pytest.raises(ValueError, match="'blend' already exists"):
        create_ensemble(registry, members[:2], "mean", name="blend")
    assert len(registry.runs()) == before + 1
