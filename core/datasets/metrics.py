"""Signal metrics on daily cross-sections, as Qlib defines them: IC, ICIR, Rank IC, Rank ICIR."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import numpy as np


def daily_ic(scores: np.ndarray, labels: np.ndarray, day_starts: np.ndarray, rank: bool = False) -> np.ndarray:
    """Pearson (or Spearman with `rank`) correlation of score and label within each day's block.

    Rows are in date order and `day_starts` are the offsets where each day begins. Pairs with a
    non-finite value are left out, as pandas' corr does; a day with fewer than two pairs or no
    spread gives NaN.
    """
    import numpy as np
    from scipy.stats import rankdata

    bounds = np.append(day_starts, len(scores))
    out = np.full(len(day_starts), np.nan)
    for i in range(len(day_starts)):
        s = np.asarray(scores[bounds[i] : bounds[i + 1]], dtype=np.float64)
        y = np.asarray(labels[bounds[i] : bounds[i + 1]], dtype=np.float64)
        keep = np.isfinite(s) & np.isfinite(y)
        if keep.sum() < 2:
            continue
        s, y = s[keep], y[keep]
        if rank:
            s, y = rankdata(s), rankdata(y)
        s, y = s - s.mean(), y - y.mean()
        denom = math.sqrt(float(s @ s) * float(y @ y))
        if denom > 0:
            out[i] = float(s @ y) / denom
    return out


def signal_metrics(scores: np.ndarray, labels: np.ndarray, day_starts: np.ndarray) -> dict[str, float]:
    """{'ic', 'icir', 'rank_ic', 'rank_icir', 'days'}; IR is mean over sample std (ddof=1) of the daily values."""
    import numpy as np

    out: dict[str, float] = {}
    for prefix, rank in (("", False), ("rank_", True)):
        ic = daily_ic(scores, labels, day_starts, rank=rank)
        ic = ic[np.isfinite(ic)]
        mean = float(ic.mean()) if len(ic) else math.nan
        std = float(ic.std(ddof=1)) if len(ic) > 1 else math.nan
        out[f"{prefix}ic"] = mean
        out[f"{prefix}icir"] = mean / std if std and math.isfinite(std) else math.nan
        out["days"] = float(len(ic))
    return out


def prediction_problem(scores: np.ndarray, day_starts: np.ndarray, model: str, params: dict[str, object]) -> str | None:
    """Why a model's scores cannot rank stocks (non-finite, constant, or constant within every day), with what
    to change; None when they can."""
    import numpy as np

    finite = np.isfinite(scores)
    if not finite.all():
        return f"{int((~finite).sum())} of {len(scores)} predictions are not finite (NaN/inf): {_advice(model, params)}"
    bounds = np.append(day_starts, len(scores))
    spread = [float(np.ptp(scores[a:b])) for a, b in zip(bounds[:-1], bounds[1:], strict=True) if b - a > 1]
    if len(scores) and float(np.ptp(scores)) == 0.0:
        return f"every prediction is the same value ({float(scores[0]):.6g}): {_advice(model, params)}"
    if spread and max(spread) == 0.0:
        return f"the predictions never differ within a day, so nothing can be ranked: {_advice(model, params)}"
    return None


def _advice(model: str, params: dict[str, object]) -> str:
    if model in ("lightgbm", "double_ensemble"):
        return (
            f"no tree found a split; lower lambda_l1 (now {params.get('lambda_l1')}), lambda_l2 (now "
            f"{params.get('lambda_l2')}) or min_data_in_leaf (now {params.get('min_data_in_leaf')}), "
            "or train on a larger universe or longer train segment"
        )
    return "lower the learning rate or weight decay, check the features for constant columns, or train on more data"
