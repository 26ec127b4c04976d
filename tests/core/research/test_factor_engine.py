"""Factor expressions on the columnar engine against Qlib's own expression engine, on real data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from core.research.columnar import extended_window
from core.research.dataset_builder import read_chunk, universe_spans
from core.research.factors.engine import forward_return, load_panel, to_panel
from core.research.factors.expression import normalise, parse_factor
from core.research.factors.operators import FACTOR_OPERATORS
from core.research.feature_blocks import compute_features
from tests.core.research.slices import Slice, research_slice, tiny_config  # noqa: F401

EXPRESSIONS = [
    "Ref($close, 5) / $close - 1",
    "Corr($close, Log($volume + 1), 10)",
    "Delta($close, 3) / $close",
    "Sign($close - $open) * Log($volume + 1)",
    "If($close > $open, Var($close, 10), Skew($volume, 20))",
    "EMA($close, 12) / $close",
    "Cov($high / $close, $low / $close, 10)",
    "Count($close > Ref($close, 1), 10)",
    "Med($vwap, 5) / $close",
    "Kurt($close, 10)",
    "Mean(And($close > $open, $volume > Ref($volume, 1)), 5) + Sum(Not($high <= $low), 3)",
    "Power($close / Ref($close, 1), 2) + Mean($close >= $open, 5) - Sum(Or($close == $open, $low < 0), 5)",
    "Greater($high - $low, Abs($close - Ref($close, 1))) / Less($open, $close)",
    "Rank($close, 10) * Mean($factor, 5)",
]


@pytest.fixture(scope="module")
def qlib_ready(research_slice: Slice) -> Slice:  # noqa: F811
    from core.data.qlib_runtime import init_qlib

    init_qlib(research_slice.provider, research_slice.data_dir / "work")
    return research_slice


def test_factor_values_equal_qlibs_expression_engine(qlib_ready: Slice) -> None:
    config = tiny_config(qlib_ready, count=8)
    start, end = "2011-06-01", "2012-06-30"
    spans = universe_spans(config.universe, start, end)
    texts = [normalise(e) for e in EXPRESSIONS]
    names = [f"f{k}" for k in range(len(texts))]
    label = forward_return(1)
    theirs = read_chunk(sorted(spans), texts, names, label, spans, start, end).sort_index()
    *_, ours = compute_features(
        qlib_ready.provider, spans, start, end, texts, names, label, operators=FACTOR_OPERATORS, ahead=3
    )
    ours = ours.sort_index()
    assert ours.index.equals(theirs.index) and len(ours) > 1000
    a, b = theirs.to_numpy(dtype=np.float64), ours.to_numpy(dtype=np.float64)
    for k in range(len(theirs.columns)):
        text = texts[k] if k < len(texts) else label
        nan_a, nan_b = np.isnan(a[:, k]), np.isnan(b[:, k])
        assert (nan_a == nan_b).all(), f"{text}: NaN at different rows ({int((nan_a != nan_b).sum())})"
        assert (~nan_a).sum() > 500, text
        np.testing.assert_allclose(b[~nan_a, k], a[~nan_a, k], rtol=2e-5, atol=2e-6, err_msg=text)
    assert theirs.columns[-1] == ("label", "LABEL0")


def test_look_back_windows_are_qlibs(qlib_ready: Slice) -> None:
    from qlib.data.data import ExpressionD

    for expression in EXPRESSIONS:
        text = normalise(expression)
        theirs = ExpressionD.get_expression_instance(text).get_extended_window_size()
        assert extended_window(parse_factor(text)) == tuple(int(x) for x in theirs), text


def test_the_panel_holds_members_only_with_forward_returns(qlib_ready: Slice) -> None:
    """Days outside an instrument's membership are NaN; the h-day return is the close h+1 days on / next close."""
    s = qlib_ready
    start, end = "2012-01-01", "2012-12-31"
    spans = universe_spans("csi300", start, end)
    *_, panel = load_panel(s.provider, spans, start, end, "$close", (1, 5))
    assert not isinstance(panel, tuple)
    assert set(panel.codes) == set(spans) and panel.values.shape == (len(panel.dates), len(panel.codes))
    close = panel.values.astype(np.float64)
    expected = close[6:] / close[1:-5] - 1  # inside the range the close panel is the field itself
    got = panel.returns[5][:-6]
    both = np.isfinite(expected) & np.isfinite(got)
    assert both.sum() > 1000
    np.testing.assert_allclose(got[both], expected[both], rtol=1e-5, atol=1e-6)
    assert panel.members is not None and (np.isfinite(panel.values) <= panel.members).all()


def test_an_empty_frame_gives_an_empty_panel() -> None:
    panel = to_panel("$close", pd.DataFrame(), (1,))
    assert panel.values.size == 0 and panel.codes == ()
