"""Factor search: seeded and deterministic on any executor, chosen on train/valid, test scored for finalists only."""

from __future__ import annotations

import math
import random
from collections.abc import Callable, Sequence
from typing import Any

import pytest

from core.datasets.config import Segments
from core.jobs import Cancelled, CancelToken
from core.research.factors.candidates import Score, SearchData, load_search_data, score_candidate, score_finalist
from core.research.factors.engine import load_panel
from core.research.factors.expression import parse_factor
from core.research.factors.metrics import daily_rank_ic
from core.research.factors.parallel import InProcess, LocalProcesses, OnResearchExecutor
from core.research.factors.search import (
    MAX_NODES,
    GenerationFinished,
    SearchFinished,
    StartSearch,
    _size,
    canonical,
    choose_finalists,
    crossover,
    evolve,
    mutate,
    random_tree,
)
from tests.core.research.ray_head import RayHead
from tests.core.research.slices import Slice, research_slice  # noqa: F401

SEGMENTS = Segments(("2010-09-01", "2011-12-31"), ("2012-01-01", "2012-06-30"), ("2012-07-01", "2012-12-31"))


@pytest.fixture(scope="module")
def data(research_slice: Slice) -> SearchData:  # noqa: F811
    from core.data.qlib_runtime import init_qlib
    from core.research.dataset_builder import universe_spans

    init_qlib(research_slice.provider, research_slice.data_dir / "work")
    codes = tuple(f"{x[-2:]}{x[:6]}" for x in research_slice.symbols[:16])
    return load_search_data(research_slice.provider, universe_spans(codes, SEGMENTS.start, SEGMENTS.end), SEGMENTS)


class Recording(InProcess):
    """Runs in this process and keeps which function was mapped over which items."""

    def __init__(self, shared: Any) -> None:
        super().__init__(shared)
        self.calls: list[tuple[Callable[..., Any], list[Any]]] = []

    def map(self, fn: Callable[[Any, Any], Any], items: Sequence[Any]) -> list[Any]:
        self.calls.append((fn, list(items)))
        return super().map(fn, items)


def _search(pool: Any, seed: int = 7) -> list[Any]:
    request = StartSearch("csi300", SEGMENTS, population=8, generations=2, finalists=3, seed=seed)
    return list(evolve(request, pool, CancelToken()))


def test_a_candidates_score_is_the_engines_rank_ic(data: SearchData, research_slice: Slice) -> None:  # noqa: F811
    from core.research.dataset_builder import universe_spans

    expression = "Mean($close, 5) / $close"
    score = score_candidate(data, expression)
    assert set(score.rank_ic) == {"train", "valid"}  # nothing of the test segment
    start, end = SEGMENTS.valid
    spans = universe_spans(tuple(f"{x[-2:]}{x[:6]}" for x in research_slice.symbols[:16]), start, end)
    *_, panel = load_panel(research_slice.provider, spans, start, end, expression, (1,))
    assert not isinstance(panel, tuple)
    expected = float(daily_rank_ic(panel.values, panel.returns[1]).mean())
    assert score.rank_ic["valid"] == pytest.approx(expected, abs=1e-6)


def test_the_same_seed_gives_the_same_search_in_processes_or_not(data: SearchData) -> None:
    here = _search(InProcess(data))
    pool = LocalProcesses(data, 2)
    try:
        there = _search(pool)
    finally:
        pool.close()
    assert here == there
    assert isinstance(here[-1], SearchFinished) and here[-1].finalists
    bests = [r.best.expression for r in here if isinstance(r, GenerationFinished)]
    assert len(bests) == 2
    other = _search(InProcess(data), seed=8)
    assert [r.best.expression for r in other if isinstance(r, GenerationFinished)] != bests or other[-1] != here[-1]


def test_a_search_on_a_ray_cluster_matches_the_one_here(data: SearchData, ray_head: RayHead) -> None:
    from core.research.execution import RayExecutor, RayOptions

    pool = OnResearchExecutor(RayExecutor(RayOptions(ray_head.address)), data)  # the data shipped once
    try:
        there = _search(pool)
    finally:
        pool.close()
    assert there == _search(InProcess(data))


def test_only_the_finalists_are_scored_on_test(data: SearchData) -> None:
    pool = Recording(data)
    reports = _search(pool)
    finished = reports[-1]
    assert isinstance(finished, SearchFinished)
    tested = [items for fn, items in pool.calls if fn is score_finalist]
    assert tested == [[f.expression for f in finished.finalists]]
    scored = {e for fn, items in pool.calls if fn is score_candidate for e in items}
    assert len(scored) == finished.evaluated and {f.expression for f in finished.finalists} <= scored
    for f in finished.finalists:  # the choice agreed in sign between train and valid
        assert f.train_rank_ic * f.valid_rank_ic > 0 and math.isfinite(f.test_rank_ic)


def test_finalists_are_chosen_on_train_then_valid() -> None:
    def score(name: str, train: float, valid: float) -> Score:
        return Score(name, {"train": train, "valid": valid}, {"train": train, "valid": valid})

    scores = [
        score("a", 0.09, -0.02),  # strongest on train, but valid disagrees
        score("b", 0.08, 0.01),
        score("c", -0.07, -0.05),
        score("d", 0.06, 0.03),
        score("e", 0.01, 0.20),  # strong on valid but weakest on train: in a pool of 6 only
        score("f", math.nan, 0.5),
    ]
    assert [s.expression for s in choose_finalists(scores, 1)] == ["c"]  # pool a, b, c; c strongest on valid
    # a pool of 3 x 2 holds every finite score: e leads on valid, a is out on sign, f has no train score
    assert [s.expression for s in choose_finalists(scores, 2)] == ["e", "c"]


def test_offspring_are_valid_expressions_of_bounded_size() -> None:
    rng = random.Random(0)
    trees = [random_tree(rng, 3) for _ in range(60)]
    for _ in range(200):
        a, b = rng.choice(trees), rng.choice(trees)
        before = canonical(a)
        for child in (crossover(rng, a, b), mutate(rng, a)):
            parse_factor(canonical(child))  # raises if the child is not a valid factor
        assert canonical(a) == before  # parents are copied, never changed
    assert all(_size(t) <= 2 * MAX_NODES for t in trees)


def test_a_cancelled_search_stops_between_generations(data: SearchData) -> None:
    token = CancelToken()
    request = StartSearch("csi300", SEGMENTS, population=6, generations=3, seed=1)
    jobs = evolve(request, Recording(data), token)
    reports = [next(jobs)]
    while not isinstance(reports[-1], GenerationFinished):
        reports.append(next(jobs))
    assert [r.fraction for r in reports[:-1]] == [1 / 3]  # 6 candidates: one chunk, one progress report
    token.cancel()
    with pytest.raises(Cancelled):
        next(jobs)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [("population", 2, "--population must be at least 4"), ("generations", 0, "--generations must be at least 1")],
)
def test_bad_search_requests(field: str, value: int, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        StartSearch("csi300", SEGMENTS, **{field: value})  # type: ignore[arg-type]
