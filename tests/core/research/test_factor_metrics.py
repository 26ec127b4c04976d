"""Factor metrics on a real panel, checked against pandas/scipy day by day; the job's progress, cancel and bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from core.jobs import Cancelled, CancelToken
from core.research.factors.engine import EvaluateFactor, FactorEvaluated, FactorPanel, load_panel, run_factor_eval
from core.research.factors.metrics import MIN_NAMES, daily_ic, daily_rank_ic, evaluate_panel, quantile_groups
from core.research.factors.report import write_tear_sheet
from core.research.training import StageProgress
from tests.core.research.slices import Slice, research_slice  # noqa: F401

START, END = "2012-01-01", "2012-12-31"


@pytest.fixture(scope="module")
def panel(research_slice: Slice) -> FactorPanel:  # noqa: F811
    from core.data.qlib_runtime import init_qlib
    from core.research.dataset_builder import universe_spans

    init_qlib(research_slice.provider, research_slice.data_dir / "work")
    spans = universe_spans("csi300", START, END)
    *_, result = load_panel(research_slice.provider, spans, START, END, "Ref($close, 5) / $close - 1", (1, 5))
    assert isinstance(result, FactorPanel)
    return result


def test_daily_ic_and_rank_ic_match_pandas_and_scipy(panel: FactorPanel) -> None:
    x, y = panel.values, panel.returns[1]
    ic, rank_ic = daily_ic(x, y), daily_rank_ic(x, y)
    checked = 0
    for t in range(0, len(x), 7):
        both = np.isfinite(x[t]) & np.isfinite(y[t])
        if both.sum() < MIN_NAMES:
            assert np.isnan(ic[t])
            continue
        expected = pd.Series(x[t][both], dtype=float).corr(pd.Series(y[t][both], dtype=float))
        assert ic[t] == pytest.approx(expected, abs=1e-9)
        assert rank_ic[t] == pytest.approx(stats.spearmanr(x[t][both], y[t][both]).statistic, abs=1e-9)
        checked += 1
    assert checked > 20


def test_quantiles_split_a_day_evenly_and_keep_ties_together() -> None:
    day = np.array([[5.0, 1.0, 1.0, 3.0, np.nan, 2.0, 4.0, 6.0, 7.0, 8.0, 9.0]])
    groups = quantile_groups(day, 5)[0]
    assert groups[4] == -1  # no value, no group
    assert groups[1] == groups[2] == 0  # a tie shares its group
    values = day[0][groups >= 0]
    for g in range(4):  # every value of a lower group is below every value of a higher one
        assert values[groups[groups >= 0] == g].max() < values[groups[groups >= 0] > g].min()
    assert np.bincount(groups[groups >= 0]).tolist() == [2, 2, 2, 2, 2]
    assert (quantile_groups(day[:, :4], 5) == -1).all()  # too few names to split


def test_the_summary_follows_from_the_daily_numbers(panel: FactorPanel) -> None:
    result = evaluate_panel(panel)
    d = result.daily
    assert result.summary["ic"] == pytest.approx(d["ic"].mean())
    assert result.summary["icir"] == pytest.approx(d["ic"].mean() / d["ic"].std())
    assert result.summary["rank_ic"] == pytest.approx(d["rank_ic"].mean())
    assert result.decay[1] == pytest.approx((result.summary["ic"], result.summary["rank_ic"]))
    assert result.summary["long_short"] == pytest.approx((d["q5"] - d["q1"]).mean())
    assert 0 < result.summary["top_turnover"] < 1 and 0.9 < result.summary["coverage"] <= 1
    # the top quantile's next-day returns are those of its names
    y, top = panel.returns[1], quantile_groups(np.where(np.isfinite(panel.returns[1]), panel.values, np.nan), 5) == 4
    t = int(np.nanargmax(np.where(top.any(axis=1), 1.0, np.nan)))
    assert d["q5"].iloc[t] == pytest.approx(float(np.mean(y[t][top[t]])), rel=1e-6)


def test_the_turnover_of_an_unchanging_ranking_is_zero(panel: FactorPanel) -> None:
    steady = np.tile(np.arange(panel.values.shape[1], dtype=np.float32), (len(panel.values), 1))
    steady[~panel.members] = np.nan
    constant = FactorPanel("rank", panel.dates, panel.codes, steady, panel.returns, panel.members)
    turnover = evaluate_panel(constant).daily["turnover"]
    # names entering or leaving the universe (or suspended) move the top quantile; on other days nothing does
    same = (panel.members[1:] == panel.members[:-1]).all(axis=1)
    assert (turnover.to_numpy()[1:][same] == 0).all() and same.sum() > 50


def test_the_tear_sheet_is_self_contained(panel: FactorPanel, tmp_path: Path) -> None:
    written = write_tear_sheet(evaluate_panel(panel), tmp_path / "sheet")
    page = written["report.html"].read_text(encoding="utf-8")
    assert "Ref($close, 5) / $close - 1" in page and page.count("<svg") == 6
    assert "http://" not in page.replace("http://www.w3.org/2000/svg", "") and "https://" not in page
    daily = pd.read_csv(written["daily.csv"], index_col="date")
    assert list(daily.columns[:2]) == ["ic", "rank_ic"] and len(daily) == len(panel.dates)
    assert list(pd.read_csv(written["decay.csv"])["horizon"]) == [1, 5]


def test_the_job_reports_progress_and_stops_when_cancelled(research_slice: Slice) -> None:  # noqa: F811
    request = EvaluateFactor("Mean($close, 5) / $close", "csi300", START, END, (1, 2))
    reports = list(run_factor_eval(request, research_slice.data_dir))
    progress = [r for r in reports if isinstance(r, StageProgress)]
    assert progress and progress[-1].fraction == 1 and isinstance(reports[-1], FactorEvaluated)
    token = CancelToken()
    jobs = run_factor_eval(request, research_slice.data_dir, token)
    with pytest.raises(Cancelled):
        for report in jobs:
            if isinstance(report, StageProgress) and report.stage == "factor":
                token.cancel()
    assert not any(isinstance(r, FactorEvaluated) for r in jobs)


@pytest.mark.parametrize(
    ("universe", "start", "end", "message"),
    [
        ("csi500", START, END, "universe 'csi500' is not in the exported data"),
        ("csi300", "2030-01-01", "2030-12-31", "no trading days between 2030-01-01 and 2030-12-31: the data covers"),
        (("SH600000", "SZ000001"), START, END, "no data between"),
    ],
)
def test_bad_universe_or_dates(research_slice: Slice, universe: object, start: str, end: str, message: str) -> None:  # noqa: F811
    request = EvaluateFactor("$close", universe, start, end)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match=message):
        list(run_factor_eval(request, research_slice.data_dir))


def test_a_bad_request_fails_before_any_work() -> None:
    with pytest.raises(ValueError, match="after --end"):
        EvaluateFactor("$close", "csi300", END, START)
    with pytest.raises(ValueError, match="between 1 and 60"):
        EvaluateFactor("$close", "csi300", START, END, (0,))
    with pytest.raises(ValueError, match=r"position 1 \(Foo\)"):
        EvaluateFactor("Foo($close)", "csi300", START, END)
