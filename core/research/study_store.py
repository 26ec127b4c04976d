"""Where studies live (Optuna RDB storage on a SQLite file in the data folder) and what a study was built for."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.research.search_space import Choice, Range, Space

if TYPE_CHECKING:
    import optuna

    from core.research.config import StartTraining

STUDIES_FILE = "studies.sqlite"
# metric → direction of the study
METRICS = {"valid_ic": "maximize", "valid_rank_ic": "maximize", "valid_loss": "minimize"}


class UnknownStudy(KeyError):
    def __str__(self) -> str:
        return f"no study named {self.args[0]!r}; list them with: tune list"


@dataclass(frozen=True, slots=True)
class TrialRow:
    number: int
    state: str
    value: float | None
    params: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StudyInfo:
    """A study as `tune list` / `tune show` present it."""

    name: str
    model: str
    dataset: str
    universe: str
    segments: str
    metric: str
    trials: tuple[TrialRow, ...]
    best: TrialRow | None
    runs: dict[str, str]  # trial number → registered run id


def storage(data_dir: Path, storage_file: Path | None = None) -> optuna.storages.RDBStorage:
    import optuna

    path = Path(storage_file) if storage_file is not None else Path(data_dir) / STUDIES_FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    optuna.logging.set_verbosity(logging.WARNING)  # the job's own reports say what each trial did
    # Several trial threads write at once: wait for SQLite's lock instead of failing at once.
    return optuna.storages.RDBStorage(f"sqlite:///{path}", engine_kwargs={"connect_args": {"timeout": 60}})


def open_study(
    name: str, data_dir: Path, storage_file: Path | None, metric: str, startup: int, warmup: int, seed: int
) -> optuna.Study:
    """Create or load `name`: TPE sampler (constant liar for parallel trials), median pruner."""
    import optuna

    return optuna.create_study(
        study_name=name,
        storage=storage(data_dir, storage_file),
        load_if_exists=True,
        direction=METRICS[metric],  # type: ignore[arg-type]
        sampler=optuna.samplers.TPESampler(seed=seed, constant_liar=True),
        pruner=optuna.pruners.MedianPruner(n_startup_trials=startup, n_warmup_steps=warmup),
    )


def study_attrs(training: StartTraining, metric: str, space: Mapping[str, Any]) -> dict[str, Any]:
    """What a study is bound to: resuming it with another dataset, model or metric is refused."""
    return {
        "model": training.model,
        "dataset": training.dataset.to_dict(),
        "metric": metric,
        "fixed_params": dict(training.params),
        "space": dict(space),
    }


def check_compatible(name: str, stored: Mapping[str, Any], wanted: Mapping[str, Any], space_given: bool) -> None:
    """ValueError in one line naming what differs between the stored study and this request."""
    keys = ["model", "dataset", "metric", "fixed_params"] + (["space"] if space_given else [])
    for key in keys:
        if _norm(stored.get(key)) != _norm(wanted.get(key)):
            if key == "dataset":
                differs = [k for k in wanted[key] if _norm(stored[key].get(k)) != _norm(wanted[key][k])]
                detail = ", ".join(f"{k} {stored[key].get(k)} (asked {wanted[key][k]})" for k in differs)
                raise ValueError(f"study {name!r} was built for another dataset: {detail}; use another --study")
            raise ValueError(
                f"study {name!r} was built with {key} {stored.get(key)}, not {wanted.get(key)}; use another --study"
            )


def _norm(value: Any) -> Any:
    # JSON turns tuples into lists: compare the stored and the asked form alike.
    if isinstance(value, (list, tuple)):
        return [_norm(v) for v in value]
    if isinstance(value, Mapping):
        return {k: _norm(v) for k, v in value.items()}
    return value


def space_from_dict(raw: Mapping[str, Any]) -> Space:
    out: Space = {}
    for name, value in raw.items():
        if isinstance(value, list):
            out[name] = Choice(tuple(value))
        elif isinstance(value, Mapping) and "low" in value:
            integer = value.get("type") == "int"
            out[name] = Range(float(value["low"]), float(value["high"]), integer, bool(value.get("log")))
        else:
            out[name] = value
    return out


def study_names(data_dir: Path, storage_file: Path | None = None) -> list[str]:
    import optuna

    path = Path(storage_file) if storage_file is not None else Path(data_dir) / STUDIES_FILE
    if not path.exists():
        return []
    return sorted(optuna.get_all_study_names(storage(data_dir, storage_file)))


def describe(name: str, data_dir: Path, storage_file: Path | None = None) -> StudyInfo:
    """The study's trials, best trial and registered runs; UnknownStudy when there is none by that name."""
    import optuna

    if name not in study_names(data_dir, storage_file):
        raise UnknownStudy(name)
    study = optuna.load_study(study_name=name, storage=storage(data_dir, storage_file))
    attrs = study.user_attrs
    dataset = attrs.get("dataset", {})
    universe = dataset.get("universe", "")
    rows = tuple(
        TrialRow(t.number, t.state.name.lower(), t.value, dict(t.params)) for t in study.get_trials(deepcopy=False)
    )
    complete = [r for r in rows if r.state == "complete"]
    best = None
    if complete:
        b = study.best_trial
        best = TrialRow(b.number, "complete", b.value, dict(b.params))
    return StudyInfo(
        name,
        str(attrs.get("model", "")),
        str(dataset.get("kind", "")),
        universe if isinstance(universe, str) else f"{len(universe)} symbols",
        _segments(dataset.get("segments")),
        str(attrs.get("metric", "")),
        rows,
        best,
        dict(attrs.get("runs", {})),
    )


def importances(name: str, data_dir: Path, storage_file: Path | None = None) -> dict[str, float]:
    """Parameter importances (fANOVA) over the completed trials; empty with fewer than two of them."""
    import optuna

    study = optuna.load_study(study_name=name, storage=storage(data_dir, storage_file))
    complete = [t for t in study.get_trials(deepcopy=False) if t.state.name == "COMPLETE"]
    if len(complete) < 2:
        return {}
    try:
        return dict(optuna.importance.get_param_importances(study))
    except (RuntimeError, ValueError):  # e.g. every trial sampled the same values
        return {}


def _segments(raw: Any) -> str:
    if isinstance(raw, str):
        return raw
    if isinstance(raw, Mapping):
        return ",".join(f"{a}:{b}" for a, b in (raw.get(k, ("", "")) for k in ("train", "valid", "test")))
    return ""
