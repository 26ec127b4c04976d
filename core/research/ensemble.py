"""Ensemble runs: a run whose scores are the mean or cross-sectional rank-mean of registered member runs.

The ensemble is registered like any run (predictions, metrics), so predict, backtest, signals and the
routine use it unchanged; scoring new days scores every member and combines them the same way.
A stock a member did not score on a day is left out of that day's mean rather than counted as zero.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from core.research.registry import RunRecord, RunRegistry, new_run_id

if TYPE_CHECKING:
    import pandas as pd

METHODS = ("mean", "rank-mean")
ENSEMBLE_FILE = "ensemble.json"


def combine(frames: Sequence[pd.DataFrame], method: str) -> pd.DataFrame:
    """Combined `score` of frames indexed (datetime, instrument); rank-mean ranks each member within each day
    (ties share their average percentile) before averaging."""
    import pandas as pd

    if method not in METHODS:
        raise ValueError(f"bad method {method!r}: choose {' or '.join(METHODS)}")
    columns = []
    for k, frame in enumerate(frames):
        score = frame["score"].astype("float64")
        if method == "rank-mean":
            score = score.groupby(level="datetime").rank(method="average", pct=True)
        columns.append(score.rename(f"m{k}"))
    wide = pd.concat(columns, axis=1, join="outer")
    return pd.DataFrame({"score": wide.mean(axis=1, skipna=True)}).sort_index()


def members_of(record: RunRecord) -> list[str]:
    """The member run ids of an ensemble run (empty for any other run)."""
    return list(record.config.get("ensemble", {}).get("members", []))


def create_ensemble(
    registry: RunRegistry, run_ids: Sequence[str], method: str = "mean", name: str | None = None
) -> RunRecord:
    """Register the ensemble of `run_ids` over the days every member scored; ValueError/UnknownRun on bad input."""
    import pandas as pd

    from core.datasets.metrics import signal_metrics

    if method not in METHODS:
        raise ValueError(f"--method: bad method {method!r}: choose {' or '.join(METHODS)}")
    if len(set(run_ids)) < 2:
        raise ValueError("an ensemble needs at least two different member runs")
    records = [registry.get(r) for r in run_ids]  # UnknownRun names a missing one
    universes = {json.dumps(r.config.get("dataset", {}).get("universe"), sort_keys=True) for r in records}
    if len(universes) > 1:
        listed = ", ".join(f"{r.run_id} ({r.universe})" for r in records)
        raise ValueError(f"the members have different universes: {listed}")
    frames = [registry.predictions(r) for r in run_ids]
    common = set(frames[0].index.get_level_values("datetime"))
    for frame in frames[1:]:
        common &= set(frame.index.get_level_values("datetime"))
    if not common:
        raise ValueError("the members share no scored day")
    frames = [f[f.index.get_level_values("datetime").isin(sorted(common))] for f in frames]
    combined = combine(frames, method)
    labels = pd.concat([f["label"] for f in frames if "label" in f.columns], axis=1).bfill(axis=1)
    combined["label"] = labels.iloc[:, 0].reindex(combined.index) if len(labels.columns) else float("nan")
    dates = combined.index.get_level_values("datetime")
    starts = _day_starts(dates)
    metrics = signal_metrics(combined["score"].to_numpy(), combined["label"].to_numpy(), starts)
    run_id = name or new_run_id("ensemble")
    folder = registry.run_dir(run_id)
    if any(r.run_id == run_id for r in registry.runs()) or folder.exists():
        raise ValueError(f"--name: a run named {run_id!r} already exists")
    folder.mkdir(parents=True)
    spec = {"method": method, "members": list(run_ids)}
    model_file = folder / ENSEMBLE_FILE
    model_file.write_text(json.dumps(spec, indent=2), encoding="utf-8")
    config: dict[str, Any] = {
        "model": "ensemble",
        "dataset": records[0].config.get("dataset", {}),
        "ensemble": spec,
    }
    try:
        return registry.record(
            run_id,
            config,
            metrics,
            combined,
            model_file,
            (min(r.data_start for r in records), max(r.data_end for r in records)),
            train_seconds=sum(r.train_seconds for r in records),
        )
    except Exception:
        import shutil

        shutil.rmtree(folder, ignore_errors=True)
        raise


def _day_starts(dates: Any) -> Any:
    import numpy as np

    values = np.asarray(dates)
    if len(values) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate([[True], values[1:] != values[:-1]]))
