"""The factor library file and datasets that add its factors as features (alpha158+library / +FILE)."""

from __future__ import annotations

import json
import threading
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from core.datasets.config import DatasetConfig
from core.research.dataset_builder import dataset_key
from core.research.factors.engine import load_panel
from core.research.factors.expression import ExpressionError
from core.research.factors.library import (
    UnknownFactor,
    dataset_spec,
    load_factors,
    load_library,
    remove_factor,
    save_factor,
)
from tests.core.research.slices import Slice, dataset_for, research_slice, tiny_config  # noqa: F401


def test_save_list_remove_keep_canonical_expressions(tmp_path: Path) -> None:
    assert save_factor(tmp_path, "MOM5", "Ref($close,5)/$close-1") == "Ref($close, 5) / $close - 1"
    save_factor(tmp_path, "VC", "Corr($close, $volume, 10)")
    save_factor(tmp_path, "MOM5", "Ref( $close , 5 ) / $close - 1")  # the same factor spelt otherwise: no clash
    with pytest.raises(ValueError, match="exists"):
        save_factor(tmp_path, "MOM5", "$close")
    assert save_factor(tmp_path, "MOM5", "$close", replace=True) == "$close"
    assert load_library(tmp_path) == {"MOM5": "$close", "VC": "Corr($close, $volume, 10)"}
    assert remove_factor(tmp_path, "VC") == "Corr($close, $volume, 10)"
    with pytest.raises(UnknownFactor, match="no factor 'VC'"):
        remove_factor(tmp_path, "VC")
    with pytest.raises(ExpressionError, match="position 6"):
        save_factor(tmp_path, "BAD", "Mean($clos, 5)")
    with pytest.raises(ValueError, match="bad factor name"):
        save_factor(tmp_path, "2x", "$close")
    assert json.loads((tmp_path / "factors.json").read_text())["factors"] == {"MOM5": "$close"}


def test_parallel_saves_leave_a_readable_library(tmp_path: Path) -> None:
    """Writers racing on the file: each write is atomic, so the file always parses (last writer wins)."""
    errors: list[BaseException] = []

    def save(k: int) -> None:
        try:
            save_factor(tmp_path, f"F{k}", f"Mean($close, {k + 2})")
        except BaseException as exc:  # noqa: BLE001  (collected and asserted below)
            errors.append(exc)

    threads = [threading.Thread(target=save, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    factors = load_library(tmp_path)
    assert factors and all(v == f"Mean($close, {int(k[1:]) + 2})" for k, v in factors.items())


def test_a_factor_file_names_its_bad_line(tmp_path: Path) -> None:
    good = tmp_path / "mine.txt"
    good.write_text("# momentum\nMOM5: Ref($close, 5)/$close - 1\n\nRV: Std($close/Ref($close,1), 20)  # risk\n")
    assert load_factors(good) == {"MOM5": "Ref($close, 5) / $close - 1", "RV": "Std($close / Ref($close, 1), 20)"}
    bad = tmp_path / "bad.txt"
    bad.write_text("MOM5: $close\nX: Mean($close, 0)\n")
    with pytest.raises(
        ValueError, match=r"bad.txt:2: factor X: invalid expression at position 14 \(Mean\): needs a window"
    ):
        load_factors(bad)
    bad.write_text("MOM5 $close\n")
    with pytest.raises(ValueError, match=r"bad.txt:1: expected NAME: EXPR"):
        load_factors(bad)


def test_dataset_spec(tmp_path: Path) -> None:
    assert dataset_spec("alpha360", tmp_path) == ("alpha360", ())
    with pytest.raises(ValueError, match="library .* is empty"):
        dataset_spec("alpha158+library", tmp_path)
    save_factor(tmp_path, "MOM5", "Ref($close,5)/$close-1")
    assert dataset_spec("alpha158+library", tmp_path) == ("alpha158", (("MOM5", "Ref($close, 5) / $close - 1"),))
    with pytest.raises(ValueError, match="unknown dataset 'alpha99'"):
        dataset_spec("alpha99+library", tmp_path)
    with pytest.raises(ValueError, match="not found"):
        dataset_spec(f"alpha158+{tmp_path / 'missing.txt'}", tmp_path)


def test_a_dataset_with_factors_has_their_columns(research_slice: Slice) -> None:  # noqa: F811
    factors = (("MOM5", "Ref($close, 5) / $close - 1"), ("VOLZ", "Std($volume, 70) / Mean($volume, 70)"))
    base = replace(tiny_config(research_slice, count=8), feature_norm="none", fill_nan=False)
    config = replace(base, factors=factors)
    assert "factors" not in base.to_dict()  # datasets without factors keep their cache key
    assert DatasetConfig.from_dict(config.to_dict()) == config
    assert dataset_key(config, research_slice.provider) != dataset_key(base, research_slice.provider)
    dataset = dataset_for(research_slice, config, research_slice.data_dir / "cache" / "factor-datasets")
    assert dataset.feature_names[-2:] == ("MOM5", "VOLZ") and len(dataset.feature_names) == 160
    spans = {code: [(config.segments.start, config.segments.end)] for code in config.universe}
    for k, (_, expression) in enumerate(factors):
        *_, panel = load_panel(research_slice.provider, spans, config.segments.start, config.segments.end, expression)
        assert not isinstance(panel, tuple)
        d = {c: j for j, c in enumerate(panel.codes)}
        t = {day: i for i, day in enumerate(panel.dates)}
        rows = [t[day] for day in dataset.dates]
        cols = [d[dataset.instrument_names[c]] for c in dataset.instrument_codes]
        expected = panel.values[rows, cols]
        got = dataset.features[:, 158 + k]
        assert (np.isnan(expected) == np.isnan(got)).all()
        # the 70-day window reaches before the dataset's start: the look-back was read, not cut short
        assert np.isfinite(got).mean() > 0.9
        np.testing.assert_allclose(got[np.isfinite(got)], expected[np.isfinite(got)], rtol=1e-6)


def test_a_factor_named_like_an_alpha158_feature_is_refused(research_slice: Slice) -> None:  # noqa: F811
    config = replace(tiny_config(research_slice, count=4), factors=(("KMID", "$close"),))
    with pytest.raises(ValueError, match="factor KMID has the name of a alpha158 feature"):
        dataset_for(research_slice, config, research_slice.data_dir / "cache" / "factor-datasets")
