"""Walk-forward retraining on a real CSI300 slice: windows without gaps, overlaps or look-ahead, one stitched run."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from core.datasets.config import Segments
from core.jobs import Cancelled, CancelToken
from core.models.base import FitFinished
from core.research.config import StartTraining
from core.research.registry import RunRegistry
from core.research.rolling import RollingStep, label_horizon, run_rolling, schedule
from core.research.scoring import Scores, score_days
from core.research.training import RunFinished, StageProgress
from tests.core.research.slices import TINY_LIGHTGBM, TINY_SEGMENTS, Slice, tiny_config


def _calendar(s: Slice) -> list[str]:
    return [d[:10] for d in (s.provider / "calendars" / "day.txt").read_text().split()]


@pytest.mark.parametrize("step", ["20d", "1m", "3m", "7d"])
def test_windows_cover_the_test_days_once_and_learn_only_from_the_past(research_slice: Slice, step: str) -> None:
    calendar = _calendar(research_slice)
    for window in ("expanding", "sliding"):
        windows = schedule(TINY_SEGMENTS, calendar, RollingStep.parse(step), window, horizon=2)
        test_days = [d for d in calendar if TINY_SEGMENTS.test[0] <= d <= TINY_SEGMENTS.test[1]]
        covered = [d for w in windows for d in calendar if w.test[0] <= d <= w.test[1]]
        assert covered == test_days  # stitched: every test day exactly once, in order
        for w in windows:
            assert w.train[1] < w.valid[0] <= w.valid[1] < w.test[0]
            # the last valid label reads 2 days ahead: it must close before the window opens
            assert calendar.index(w.valid[1]) + 2 < calendar.index(w.test[0])
        starts = {w.train[0] for w in windows}
        assert len(starts) == (1 if window == "expanding" or len(windows) == 1 else len(windows))
    if step == "1m":
        assert [w.test[0][:7] for w in windows] == ["2011-10", "2011-11", "2011-12"]


@pytest.mark.parametrize("text", ["0d", "0m", "-1m", "20", "1y", "m", ""])
def test_bad_steps_are_refused(text: str) -> None:
    with pytest.raises(ValueError, match="bad step"):
        RollingStep.parse(text)


def test_label_horizon_reads_the_label_expression() -> None:
    assert label_horizon("Ref($close, -2)/Ref($close, -1) - 1") == 2
    assert label_horizon("Ref($close,-5)/$close - 1") == 5


def test_rolling_run_stitches_sub_models_and_scores_days_with_their_own(research_slice: Slice, tmp_path: Path) -> None:
    s = research_slice
    request = StartTraining("lightgbm", tiny_config(s, count=20), dict(TINY_LIGHTGBM), device="cpu", seed=1)
    registry = RunRegistry(tmp_path / "registry")
    reports = list(run_rolling(request, RollingStep.parse("1m"), s.data_dir, "sliding", registry=registry))
    windows_seen = [r for r in reports if isinstance(r, StageProgress) and r.stage == "rolling"]
    assert [(r.done, r.total) for r in windows_seen] == [(0, 3), (1, 3), (2, 3)]
    [done] = [r for r in reports if isinstance(r, RunFinished)]
    record = registry.get(done.run_id)
    rolling = record.config["rolling"]
    assert rolling["step"] == "1m" and rolling["window"] == "sliding" and len(rolling["windows"]) == 3
    for w in rolling["windows"]:
        assert w["train"][1] < w["valid"][0] and w["valid"][1] < w["test"][0]  # no look-ahead
        assert (registry.run_dir(done.run_id) / w["model_file"]).exists()
    predictions = registry.predictions(done.run_id)
    assert not predictions.index.duplicated().any()
    days = predictions.index.get_level_values("datetime").unique()
    calendar = _calendar(s)
    assert [str(d)[:10] for d in days] == [d for d in calendar if "2011-10-01" <= d <= "2011-12-31"]
    assert np.isfinite(record.metrics["ic"])
    # Scoring the test days again uses each day's own sub-model: equal to the stitched predictions.
    *_, scored = score_days(s.data_dir, done.run_id, "2011-10-01", "2011-12-31", registry=registry)
    assert isinstance(scored, Scores)
    got = scored.frame.assign(instrument=[f"{x[-2:]}{x[:6]}" for x in scored.frame["instrument"]])
    got = got.set_index(["datetime", "instrument"])["score"].sort_index()
    assert got.index.equals(predictions.index)
    np.testing.assert_allclose(got.to_numpy(), predictions["score"].to_numpy(), rtol=0, atol=1e-6)
    # ...and each window has its own model, trained on its own segments.
    folder = registry.run_dir(done.run_id)
    assert len({(folder / w["model_file"]).read_text() for w in rolling["windows"]}) == 3


def test_a_window_too_short_to_learn_is_refused(research_slice: Slice) -> None:
    calendar = _calendar(research_slice)
    short = Segments(("2011-01-01", "2011-06-30"), ("2011-07-01", "2011-07-04"), ("2011-07-05", "2011-08-31"))
    with pytest.raises(ValueError, match="valid segment is too short"):
        schedule(short, calendar, RollingStep.parse("1m"), "expanding", horizon=2)


def test_a_cancelled_rolling_job_resumes_after_its_finished_windows(research_slice: Slice, tmp_path: Path) -> None:
    s = research_slice
    request = StartTraining("lightgbm", tiny_config(s, count=20), dict(TINY_LIGHTGBM), device="cpu", seed=4)
    registry = RunRegistry(tmp_path)
    token = CancelToken()
    with pytest.raises(Cancelled):
        for report in run_rolling(request, RollingStep.parse("1m"), s.data_dir, cancel=token, registry=registry):
            if isinstance(report, StageProgress) and report.stage == "rolling" and report.done == 2:
                token.cancel()  # two windows trained, the third not yet
    assert registry.runs() == []
    reports = list(run_rolling(request, RollingStep.parse("1m"), s.data_dir, registry=registry))
    assert sum(isinstance(r, FitFinished) for r in reports) == 1  # only the third window is fitted again
    [done] = [r for r in reports if isinstance(r, RunFinished)]
    assert len(registry.get(done.run_id).config["rolling"]["windows"]) == 3
