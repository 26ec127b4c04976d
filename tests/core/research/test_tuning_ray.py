"""Study trials on a real local Ray head: the study's pruner stops them mid-way; a silent driver never hangs them."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import optuna
import pytest

from core.jobs import Cancelled, CancelToken
from core.research.config import StartTraining
from core.research.execution import RayOptions
from core.research.registry import RunRegistry
from core.research.relay import Relay
from core.research.search_space import Choice
from core.research.study_request import StartStudy, TrialFinished, TrialStarted
from core.research.study_store import describe, storage
from core.research.tuning import run_study
from tests.core.research.ray_head import RayHead
from tests.core.research.slices import Slice, tiny_config
from tests.core.research.test_tuning import FIXED

SPACE = {"num_leaves": Choice((8, 16))}
EPOCHS = FIXED["num_boost_round"] // FIXED["rounds_per_epoch"]


def ray_study(s: Slice, head: RayHead, trials: int = 1, **kwargs: Any) -> StartStudy:
    training = StartTraining("lightgbm", tiny_config(s), FIXED)
    ray = RayOptions(head.address, cpus=1.0, slots=1)
    return StartStudy("r", training, SPACE, trials, ray=ray, **kwargs)


def test_a_ray_trial_that_trails_the_study_is_pruned_mid_way_and_cancel_stops_cleanly(
    research_slice: Slice, ray_head: RayHead, tmp_path: Path
) -> None:
    # The study already holds a finished trial (added through Optuna's own API, as an imported result would be)
    # whose valid IC beats any model's at every epoch: past the warm-up, the Ray trial trails the median.
    store = tmp_path / "studies.sqlite"
    earlier = optuna.create_study(study_name="r", storage=storage(tmp_path, store), direction="maximize")
    earlier.add_trial(
        optuna.trial.create_trial(
            params={"num_leaves": 8},
            distributions={"num_leaves": optuna.distributions.CategoricalDistribution((8, 16))},
            value=0.99,
            intermediate_values={epoch: 0.99 for epoch in range(1, EPOCHS + 1)},
        )
    )
    token = CancelToken()

    def cancel_the_next(started: TrialStarted) -> None:
        if started.number == 2:
            token.cancel()  # as Ctrl-C does as the next trial starts

    request = ray_study(research_slice, ray_head, trials=3, prune_startup=1, prune_warmup=2)
    job = run_study(request, research_slice.data_dir, token, RunRegistry(tmp_path), store, cancel_the_next)
    reports: list[Any] = []
    with pytest.raises(Cancelled):
        for report in job:
            reports.append(report)

    [ended] = [r for r in reports if isinstance(r, TrialFinished)]
    assert ended.number == 1 and ended.state == "pruned"
    assert ended.epochs == 2 < EPOCHS  # stopped at the first epoch past the warm-up
    trial = optuna.load_study(study_name="r", storage=storage(tmp_path, store)).trials[1]
    assert trial.state == optuna.trial.TrialState.PRUNED
    assert sorted(trial.intermediate_values) == [1, 2]  # each epoch's figure reached the study, none after
    assert all(-1 < v < 0.99 for v in trial.intermediate_values.values())
    assert trial.user_attrs["worker"].rsplit(":", 1)[1] != str(os.getpid())  # it ran in a Ray worker
    # The cancel stopped the study cleanly: the trial cut short is failed, nothing else started or registered.
    assert [t.state for t in describe("r", tmp_path, store).trials] == ["complete", "pruned", "fail"]
    assert RunRegistry(tmp_path).runs() == []


def test_a_question_nobody_answers_in_time_gets_the_default() -> None:
    async def scenario() -> tuple[Any, ...]:
        relay = Relay()
        unanswered = await relay.call(7, (1, 0.5), timeout_s=0.01)  # nobody serves: the trial goes on
        late = await relay.next_call(30)
        assert late is not None
        await relay.answer(late[0], True, True)  # the caller has gone on: the late verdict is dropped
        asked = asyncio.ensure_future(relay.call(7, (2, 0.4), timeout_s=30))
        call = await relay.next_call(30)
        assert call is not None
        await relay.answer(call[0], True, True)
        return unanswered, late[1:], call[1:], await asked, await relay.next_call(0.01)

    unanswered, late, call, answered, nothing_left = asyncio.run(scenario())
    assert unanswered == (False, None) and late == (7, (1, 0.5))
    assert call == (7, (2, 0.4)) and answered == (True, True) and nothing_left is None
