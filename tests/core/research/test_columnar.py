"""The columnar Alpha158/Alpha360 engine against Qlib's own loader and handler on real data: every column equal."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.datasets.prepared import PreparedDataset
from core.research.columnar import extended_window, parse
from core.research.dataset_builder import build_dataset, feature_config, read_chunk, universe_spans
from core.research.feature_blocks import compute_features
from tests.core.research.slices import Slice, research_slice, tiny_config  # noqa: F401


def _qlib_and_ours(s: Slice, kind: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    from core.data.qlib_runtime import init_qlib

    init_qlib(s.provider, s.data_dir / "work")
    config = tiny_config(s, kind, count=12)
    start, end = config.segments.start, config.segments.end
    spans = universe_spans(config.universe, start, end)
    exprs, names = feature_config(kind)
    theirs = read_chunk(sorted(spans), exprs, names, config.label, spans, start, end)
    *_, ours = compute_features(s.provider, spans, start, end, exprs, names, config.label)
    assert isinstance(ours, pd.DataFrame)
    return theirs.sort_index(), ours.sort_index()


@pytest.mark.parametrize("kind", ["alpha158", "alpha360"])
def test_every_feature_column_equals_qlibs(research_slice: Slice, kind: str) -> None:  # noqa: F811
    theirs, ours = _qlib_and_ours(research_slice, kind)
    assert ours.index.equals(theirs.index) and list(ours.columns) == list(theirs.columns)
    assert len(ours) > 1000 and (ours.dtypes == np.float32).all()
    a, b = theirs.to_numpy(dtype=np.float64), ours.to_numpy(dtype=np.float64)
    for k, column in enumerate(theirs.columns):
        nan_a, nan_b = np.isnan(a[:, k]), np.isnan(b[:, k])
        assert (nan_a == nan_b).all(), f"{column}: NaN at different rows ({int((nan_a != nan_b).sum())})"
        np.testing.assert_allclose(b[~nan_a, k], a[~nan_a, k], rtol=2e-6, atol=1e-7, err_msg=str(column))


def test_extended_windows_are_qlibs(research_slice: Slice) -> None:  # noqa: F811
    from core.data.qlib_runtime import init_qlib

    init_qlib(research_slice.provider, research_slice.data_dir / "work")
    from qlib.data.data import ExpressionD

    exprs = feature_config("alpha158")[0] + feature_config("alpha360")[0] + ["Ref($close, -2)/Ref($close, -1) - 1"]
    for expr in exprs:
        theirs = ExpressionD.get_expression_instance(expr).get_extended_window_size()
        assert extended_window(parse(expr)) == tuple(int(x) for x in theirs), expr


@pytest.mark.parametrize(
    "options", [{}, {"feature_norm": "none", "label_norm": "none", "fill_nan": False}], ids=["default", "raw"]
)
def test_the_built_dataset_equals_the_qlib_engines(research_slice: Slice, options: dict[str, object]) -> None:  # noqa: F811
    """Features through RobustZScoreNorm and Fillna, the label through DropnaLabel and CSRankNorm (or none)."""
    from dataclasses import replace

    from core.data.qlib_runtime import init_qlib

    init_qlib(research_slice.provider, research_slice.data_dir / "work")
    config = replace(tiny_config(research_slice, "alpha158", count=12), **options)  # type: ignore[arg-type]
    built: dict[str, PreparedDataset] = {}
    for engine in ("columnar", "qlib"):
        *_, dataset = build_dataset(config, research_slice.provider, None, None, engine)
        assert isinstance(dataset, PreparedDataset)
        built[engine] = dataset
    ours, theirs = built["columnar"], built["qlib"]
    assert (ours.dates == theirs.dates).all() and ours.instrument_names == theirs.instrument_names
    assert ours.features.dtype == np.float32 and ours.features.flags.c_contiguous
    for name in ("features", "label", "raw_label"):
        a, b = getattr(ours, name), getattr(theirs, name)
        assert (np.isnan(a) == np.isnan(b)).all(), name
        np.testing.assert_allclose(a, b, rtol=1e-5, atol=1e-6, err_msg=name)
    assert np.isnan(ours.features).any() != bool(config.fill_nan)


def test_an_unknown_operator_or_engine_is_refused(research_slice: Slice) -> None:  # noqa: F811
    spans = {"SH600000": [("2011-01-01", "2011-12-31")]}
    with pytest.raises(ValueError, match="EMA is not an operator the columnar engine computes"):
        list(
            compute_features(
                research_slice.provider, spans, "2011-01-04", "2011-03-31", ["EMA($close, 5)"], ["E"], "$close"
            )
        )
    with pytest.raises(ValueError, match="engine must be one of columnar, qlib"):
        next(build_dataset(tiny_config(research_slice), research_slice.provider, engine="pandas"))
