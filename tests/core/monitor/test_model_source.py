"""Model health from the real run registry: newest run, its age and test IC; n/a with no runs."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pytest

from core.monitor.sources import ModelCollector, registry_model_source
from core.research.registry import RunRegistry


def _record(registry: RunRegistry, run_id: str, ic: float) -> None:
    index = pd.MultiIndex.from_tuples(
        [(pd.Timestamp("2022-12-29"), "SH600000"), (pd.Timestamp("2022-12-30"), "SH600000")],
        names=["datetime", "instrument"],
    )
    predictions = pd.DataFrame({"score": [0.1, -0.2], "label": [0.01, -0.02]}, index=index)
    folder = registry.run_dir(run_id)
    folder.mkdir(parents=True)
    (folder / "model.txt").write_text("tree\n", encoding="utf-8")
    registry.record(
        run_id,
        {"model": "LightGBM", "dataset": {"kind": "alpha158", "universe": "csi300"}},
        {"ic": ic, "rank_ic": ic / 2},
        predictions,
        folder / "model.txt",
        ("2020-01-01", "2022-12-30"),
    )


def test_newest_run_is_reported(tmp_path: Path) -> None:
    source = registry_model_source(tmp_path)
    assert source() is None
    assert not (tmp_path / "research.sqlite").exists()  # looking never creates the registry
    registry = RunRegistry(tmp_path)
    _record(registry, "20250101-000000-lightgbm-aaaa", 0.041)
    # Likely the same second (run times are stored to the second): the timestamped run id breaks the tie.
    _record(registry, "20250102-000000-lightgbm-bbbb", 0.052)
    health = source()
    assert health is not None and health.name.endswith("bbbb") and health.test_ic == pytest.approx(0.052)
    assert health.live_ic is None
    values = ModelCollector(source, wall=lambda: health.trained_at.timestamp() + 3 * 86400).collect()
    assert values["model.age_days"] == pytest.approx(3) and values["model.live_ic"] is None
    assert health.trained_at.tzinfo is not None and health.trained_at <= dt.datetime.now(dt.timezone.utc)
