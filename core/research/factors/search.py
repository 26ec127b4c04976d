"""Factor search by genetic programming: expression trees over Qlib's operators, mutated and crossed.

`run_search` is a plain generator like the other long jobs: it yields GenerationFinished after each
generation and SearchFinished last. Candidates are chosen on train and valid only: the fittest on train
(|mean Rank IC|) form a pool, the finalists are those of the pool whose valid Rank IC has the same sign,
strongest first, and only they are scored on the test segment. With the same seed the search makes the
same choices whichever executor evaluates the candidates.
"""

from __future__ import annotations

import ast
import copy
import math
import random
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.datasets.config import Segments
from core.jobs import CancelToken
from core.research.factors.candidates import Score, load_search_data, score_candidate, score_finalist
from core.research.factors.expression import ExpressionError, canonical, normalise, parse_factor
from core.research.factors.parallel import ExecutorFactory, local_executor
from core.research.training import StageProgress

FIELDS = ("open", "high", "low", "close", "volume", "vwap")
WINDOWS = (3, 5, 10, 20, 40)
ROLLING = ("Mean", "Std", "Sum", "Max", "Min", "Rank", "Delta", "Ref", "EMA", "Skew", "IdxMax", "IdxMin")
PAIRS = ("Corr", "Cov")
UNARY = ("Abs", "Log", "Sign")
BINARY: tuple[ast.operator | str, ...] = (ast.Add(), ast.Sub(), ast.Mult(), ast.Div(), "Greater", "Less")
MAX_NODES = 15
CHUNK = 16  # candidates per map call: progress and cancel are checked between chunks

# (population so far, best first) -> expressions to add to the next generation, e.g. from a language model.
Proposer = Callable[[Sequence[Score]], Sequence[str]]


@dataclass(frozen=True)
class StartSearch:
    """Command: search factors on `universe` with train/valid/test `segments`."""

    universe: str | tuple[str, ...]
    segments: Segments
    population: int = 40
    generations: int = 5
    finalists: int = 5
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("population", "generations", "finalists"):
            if getattr(self, name) < 1:
                raise ValueError(f"--{name} must be at least 1, got {getattr(self, name)}")
        if self.population < 4:
            raise ValueError(f"--population must be at least 4, got {self.population}")


@dataclass(frozen=True, slots=True)
class GenerationFinished:
    generation: int
    evaluated: int  # distinct candidates scored so far
    best: Score


@dataclass(frozen=True, slots=True)
class Finalist:
    expression: str
    train_rank_ic: float
    valid_rank_ic: float
    test_ic: float
    test_rank_ic: float


@dataclass(frozen=True)
class SearchFinished:
    finalists: list[Finalist]
    evaluated: int


def fitness(score: Score) -> float:
    value = score.rank_ic.get("train", math.nan)
    return abs(value) if math.isfinite(value) else -1.0


def run_search(
    request: StartSearch,
    data_dir: Path,
    cancel: CancelToken | None = None,
    executor: ExecutorFactory | None = None,
    proposer: Proposer | None = None,
) -> Generator[Any, None, None]:
    """Run `request` on the store in `data_dir`; `executor` decides where candidates are scored."""
    from core.data.qlib_runtime import init_qlib
    from core.research.dataset_builder import universe_spans
    from core.research.factors.engine import check_dates
    from core.research.training import WORK_DIR, export_store

    cancel = cancel or CancelToken()
    provider = yield from export_store(Path(data_dir), cancel)
    segments = request.segments
    check_dates(provider, segments.start, segments.end)
    init_qlib(provider, Path(data_dir) / WORK_DIR)
    spans = universe_spans(request.universe, segments.start, segments.end)
    if not spans:
        raise ValueError(
            f"universe {request.universe!r} has no instruments between {segments.start} and {segments.end}"
        )
    data = load_search_data(provider, spans, segments)
    pool = (executor or local_executor(1))(data)
    try:
        yield from evolve(request, pool, cancel, proposer)
    finally:
        pool.close()


def evolve(
    request: StartSearch, pool: Any, cancel: CancelToken, proposer: Proposer | None = None
) -> Generator[Any, None, None]:
    """The generations on an executor already holding the data; finalists scored on test last."""
    rng = random.Random(request.seed)
    scores: dict[str, Score] = {}
    population = _unique([random_tree(rng, 3) for _ in range(request.population * 3)])[: request.population]
    for generation in range(request.generations):
        cancel.raise_if_cancelled()
        fresh = [text for text in population if text not in scores]
        for start in range(0, len(fresh), CHUNK):
            for score in pool.map(score_candidate, fresh[start : start + CHUNK]):
                scores[score.expression] = score
            done = generation + min(start + CHUNK, len(fresh)) / max(len(fresh), 1)
            yield StageProgress(round(done * 100), request.generations * 100, f"generation {generation + 1}", "search")
            cancel.raise_if_cancelled()
        ranked = sorted(scores.values(), key=lambda s: (-fitness(s), len(s.expression), s.expression))
        yield GenerationFinished(generation, len(scores), ranked[0])
        if generation == request.generations - 1:
            break
        population = _next_generation(rng, request.population, [scores[t] for t in population], proposer, ranked)
    cancel.raise_if_cancelled()
    chosen = choose_finalists(list(scores.values()), request.finalists)
    tested = pool.map(score_finalist, [s.expression for s in chosen])
    finalists = [
        Finalist(s.expression, s.rank_ic["train"], s.rank_ic["valid"], t.ic["test"], t.rank_ic["test"])
        for s, t in zip(chosen, tested, strict=True)
    ]
    yield SearchFinished(finalists, len(scores))


def choose_finalists(scores: list[Score], count: int) -> list[Score]:
    """The strongest on train, kept when valid agrees in sign, ordered by valid strength (train/valid only)."""
    usable = [s for s in scores if fitness(s) >= 0 and math.isfinite(s.rank_ic.get("valid", math.nan))]
    usable.sort(key=lambda s: (-fitness(s), s.expression))
    pool = usable[: count * 3]
    agree = [s for s in pool if s.rank_ic["train"] * s.rank_ic["valid"] > 0]
    agree.sort(key=lambda s: (-abs(s.rank_ic["valid"]), s.expression))
    return agree[:count]


def _next_generation(
    rng: random.Random, size: int, current: list[Score], proposer: Proposer | None, ranked: list[Score]
) -> list[str]:
    elite = [s.expression for s in ranked[:2]]
    suggested: list[str] = []
    if proposer is not None:
        for text in proposer(ranked[: size // 2]):
            try:
                suggested.append(normalise(text))
            except ExpressionError:
                continue  # a suggestion that does not parse is dropped, not fatal
    children = [*elite, *suggested]
    trees = {s.expression: parse_factor(s.expression) for s in current}
    attempts = 0
    while len(_unique_texts(children)) < size and attempts < size * 20:
        attempts += 1
        a = trees[_tournament(rng, current).expression]
        if rng.random() < 0.6:
            b = trees[_tournament(rng, current).expression]
            child = crossover(rng, a, b)
        else:
            child = mutate(rng, a)
        if _size(child) <= MAX_NODES:
            children.append(canonical(child))
    return _unique_texts(children)[:size]


def _tournament(rng: random.Random, scores: list[Score], k: int = 3) -> Score:
    picked = [scores[rng.randrange(len(scores))] for _ in range(k)]
    return max(picked, key=lambda s: (fitness(s), -len(s.expression)))


def random_tree(rng: random.Random, depth: int) -> ast.expr:
    """A random expression of at most `depth` operator levels over the price and volume fields."""
    if depth <= 0 or rng.random() < 0.2:
        return ast.Name(id=rng.choice(FIELDS), ctx=ast.Load())
    roll = rng.random()
    if roll < 0.4:
        op, window = rng.choice(ROLLING), rng.choice(WINDOWS)
        return _call(op, random_tree(rng, depth - 1), ast.Constant(window))
    if roll < 0.55:
        left, right = random_tree(rng, depth - 1), random_tree(rng, depth - 1)
        return _call(rng.choice(PAIRS), left, right, ast.Constant(rng.choice(WINDOWS)))
    if roll < 0.9:
        op2 = rng.choice(BINARY)
        left, right = random_tree(rng, depth - 1), random_tree(rng, depth - 1)
        return _call(op2, left, right) if isinstance(op2, str) else ast.BinOp(left, op2, right)
    return _call(rng.choice(UNARY), random_tree(rng, depth - 1))


def _call(name: str, *args: ast.expr) -> ast.expr:
    return ast.Call(ast.Name(id=name, ctx=ast.Load()), list(args), [])


def _slots(tree: ast.expr) -> list[tuple[Any, str, int | None]]:
    """Every place holding a subexpression (not window numbers): (parent, attribute, index in a list)."""
    out: list[tuple[Any, str, int | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.BinOp):
            out += [(node, "left", None), (node, "right", None)]
        elif isinstance(node, ast.Compare):
            out += [(node, "left", None), (node, "comparators", 0)]
        elif isinstance(node, ast.Call):
            out += [(node, "args", i) for i, a in enumerate(node.args) if not isinstance(a, ast.Constant)]
    return out


def _get(slot: tuple[Any, str, int | None]) -> ast.expr:
    parent, attr, index = slot
    value = getattr(parent, attr)
    return value[index] if index is not None else value


def _put(slot: tuple[Any, str, int | None], node: ast.expr) -> None:
    parent, attr, index = slot
    if index is None:
        setattr(parent, attr, node)
    else:
        getattr(parent, attr)[index] = node


def crossover(rng: random.Random, a: ast.expr, b: ast.expr) -> ast.expr:
    """A copy of `a` with one of its subexpressions (or all of it) replaced by a subexpression of `b`."""
    child, donor = copy.deepcopy(a), copy.deepcopy(b)
    donor_slots = _slots(donor)
    graft = _get(rng.choice(donor_slots)) if donor_slots else donor
    slots = _slots(child)
    if not slots:
        return graft
    _put(rng.choice(slots), graft)
    return child


def mutate(rng: random.Random, tree: ast.expr) -> ast.expr:
    """Change one window, or replace one subexpression with a new random one."""
    child = copy.deepcopy(tree)
    windows = [n for n in ast.walk(child) if isinstance(n, ast.Call) and isinstance(n.args[-1], ast.Constant)]
    if windows and rng.random() < 0.3:
        call = rng.choice(windows)
        call.args[-1] = ast.Constant(rng.choice(WINDOWS))
        return child
    slots = _slots(child)
    if not slots:
        return random_tree(rng, 2)
    _put(rng.choice(slots), random_tree(rng, 2))
    return child


def _size(tree: ast.expr) -> int:
    return sum(isinstance(n, ast.Name | ast.Call | ast.BinOp) for n in ast.walk(tree)) - sum(
        isinstance(n, ast.Call) for n in ast.walk(tree)
    )


def _unique(trees: list[ast.expr]) -> list[str]:
    return _unique_texts([canonical(t) for t in trees if _size(t) <= MAX_NODES])


def _unique_texts(texts: list[str]) -> list[str]:
    return list(dict.fromkeys(texts))
