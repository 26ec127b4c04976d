"""Scoring stored days with a trained run: equal to the run's own test scores, blind to later bars."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from core.data.importer import import_one
from core.paths import store_path
from core.research.registry import PROCESSORS_FILE, CannotScore, RunRegistry
from core.research.scoring import Scores, score_days
from core.storage import MarketStore
from tests.core.research.slices import Slice, build_slice, train_tiny_lightgbm


@pytest.fixture(scope="module")
def trained(cn_data: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Slice, str]:
    s = build_slice(cn_data, tmp_path_factory.mktemp("scoring"), count=12, start="2010-01-01", end="2012-03-31")
    return s, train_tiny_lightgbm(s, count=12, seed=3, num_boost_round=20)


def _scores(data_dir: Path, run_id: str, start: str | None, end: str | None, engine: str = "columnar") -> Scores:
    *_, result = score_days(data_dir, run_id, start, end, engine=engine)
    assert isinstance(result, Scores)
    return result


def test_scores_equal_the_training_runs_test_segment(trained: tuple[Slice, str]) -> None:
    s, run_id = trained
    expected = RunRegistry(s.data_dir).predictions(run_id)["score"]
    result = _scores(s.data_dir, run_id, "2011-10-01", "2011-12-31")
    got = result.frame.copy()
    got["instrument"] = [f"{x[-2:]}{x[:6]}" for x in got["instrument"]]  # 600000.SH → Qlib's SH600000
    got = got.set_index(["datetime", "instrument"])["score"].sort_index()
    assert len(got) == len(expected) > 500
    assert got.index.equals(expected.index)
    np.testing.assert_allclose(got.to_numpy(), expected.to_numpy(), rtol=0, atol=1e-6)
    assert result.days[0] >= "2011-10-01" and result.days[-1] <= "2011-12-31"
    assert result.read_from < result.days[0]  # the look-back is read, not more than it needs
    assert result.read_from >= "2011-04-01"


def test_the_columnar_window_scores_as_qlibs_loader_does(trained: tuple[Slice, str]) -> None:
    s, run_id = trained
    ours = _scores(s.data_dir, run_id, "2012-02-01", None).frame
    qlib = _scores(s.data_dir, run_id, "2012-02-01", None, engine="qlib").frame
    assert len(ours) > 100 and ours[["datetime", "instrument"]].equals(qlib[["datetime", "instrument"]])
    np.testing.assert_allclose(ours["score"].to_numpy(), qlib["score"].to_numpy(), rtol=0, atol=1e-6)
    with pytest.raises(ValueError, match="engine must be one of"):
        _scores(s.data_dir, run_id, None, None, engine="pandas")


def test_newest_day_by_default_in_the_shared_spelling(trained: tuple[Slice, str]) -> None:
    s, run_id = trained
    result = _scores(s.data_dir, run_id, None, None)
    assert result.days == (result.newest_stored,) and result.newest_stored.startswith("2012-03")
    assert set(result.frame.columns) == {"datetime", "instrument", "score"}
    assert all(x.endswith((".SH", ".SZ")) for x in result.frame["instrument"])
    assert result.frame["score"].notna().all() and len(result.frame) == 12
    assert "top on" in result.summary()


def test_later_bars_never_change_a_days_score(trained: tuple[Slice, str], tmp_path: Path) -> None:
    s, run_id = trained
    day, later = "2011-11-15", "2011-11-29"
    before = _scores(s.data_dir, run_id, day, later).frame
    symbol = s.symbols[0]
    bars = pd.read_csv(store_path(s.data_dir).parent.parent / "csv" / f"{symbol}.csv", dtype={"date": str})
    after_day = bars["date"] > day
    for col in ("open", "high", "low", "close"):
        bars.loc[after_day, col] = (bars.loc[after_day, col] * 1.3).round(2)
    path = tmp_path / f"{symbol}.csv"
    bars.to_csv(path, index=False)
    store = MarketStore.open(store_path(s.data_dir))
    try:
        assert import_one(store, path).ok
    finally:
        store.close()
    after = _scores(s.data_dir, run_id, day, later).frame
    on_day = before["datetime"] == pd.Timestamp(day)
    pd.testing.assert_frame_equal(before[on_day], after[after["datetime"] == pd.Timestamp(day)])
    mine_later = (before["datetime"] > pd.Timestamp(day)) & (before["instrument"] == symbol)
    changed = after[(after["datetime"] > pd.Timestamp(day)) & (after["instrument"] == symbol)]
    assert not np.allclose(before[mine_later]["score"].to_numpy(), changed["score"].to_numpy())


def test_a_run_without_fitted_processing_is_refused_with_a_retrain_hint(trained: tuple[Slice, str]) -> None:
    s, run_id = trained
    registry = RunRegistry(s.data_dir)
    assert registry.can_score(run_id)
    path = registry.run_dir(run_id) / PROCESSORS_FILE
    content = path.read_bytes()
    path.unlink()
    try:
        assert not registry.can_score(run_id)
        with pytest.raises(CannotScore, match="retrain"):
            next(score_days(s.data_dir, run_id))
    finally:
        path.write_bytes(content)


def test_bad_days_are_refused(trained: tuple[Slice, str]) -> None:
    s, run_id = trained
    with pytest.raises(ValueError, match="bad --start"):
        _scores(s.data_dir, run_id, "2011-13-01", None)
    with pytest.raises(ValueError, match="after --end"):
        _scores(s.data_dir, run_id, "2011-12-01", "2011-11-01")
    with pytest.raises(ValueError, match="no stored trading day"):
        _scores(s.data_dir, run_id, "2030-01-01", "2030-01-31")
