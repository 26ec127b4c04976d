"""Qlib's dataset processors on flat float32 arrays: RobustZScoreNorm, Fillna, DropnaLabel + CSRankNorm.

Same statistics, same order of operations and the same float32 precision as Qlib's DataHandlerLP with
these processors, without its DataFrame copies; anything else goes through Qlib's handler.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

EPS = 1e-12  # Qlib's processor EPS, added to the MAD before scaling
MAD_TO_STD = 1.4826
CLIP = 3.0
_COLUMNS = 8


def handles(feature_norm: str, label_norm: str) -> bool:
    """Whether these processors cover a dataset config (else Qlib's handler processes it)."""
    return feature_norm in ("robust_zscore", "none") and label_norm in ("cs_rank", "none")


def robust_zscore(features: np.ndarray, fit_rows: slice) -> tuple[np.ndarray, np.ndarray]:
    """In place: (x − median) / (MAD × 1.4826), clipped to ±3, with median and MAD of the fit rows.

    Returns the fitted (median, scale), which scoring a new day applies again.
    """
    fit = features[fit_rows]
    median = np.nanmedian(fit, axis=0)
    scale = np.empty_like(median)
    for j in range(0, fit.shape[1], _COLUMNS):  # a few columns at a time: |x − median| of all is a second copy
        part = slice(j, j + _COLUMNS)
        scale[part] = np.nanmedian(np.abs(fit[:, part] - median[part]), axis=0)
    scale += EPS
    scale *= MAD_TO_STD
    features -= median
    features /= scale
    np.clip(features, -CLIP, CLIP, out=features)
    return median, scale


def fitted_qlib_processors(
    names: list[str],
    fit: tuple[str, str],
    robust: tuple[np.ndarray, np.ndarray] | None,
    fill_nan: bool,
) -> bytes:
    """Qlib's own inference processors in the state its handler would fit, pickled for scoring new days.

    The arrays above compute what RobustZScoreNorm and Fillna compute; handing Qlib's objects the same
    statistics keeps one scoring path (Qlib's processor runner) whichever engine built the dataset.
    """
    import pickle

    from qlib.data.dataset.processor import Fillna, Processor, RobustZScoreNorm

    fitted: list[Processor] = []
    if robust is not None:
        norm = RobustZScoreNorm(fit[0], fit[1], fields_group="feature", clip_outlier=True)
        norm.cols = [("feature", n) for n in names]
        norm.mean_train, norm.std_train = robust
        fitted.append(norm)
    if fill_nan:
        fitted.append(Fillna(fields_group="feature"))
    return pickle.dumps(fitted)


def fill_nan(features: np.ndarray, value: float = 0.0) -> None:
    np.nan_to_num(features, copy=False, nan=value, posinf=np.inf, neginf=-np.inf)


def cs_rank(label: np.ndarray, dates: np.ndarray) -> np.ndarray:
    """Per day: the percentile rank of each labelled row (ties averaged), centred and scaled to unit std
    as Qlib's CSRankNorm does ((rank − 0.5) × 3.46); unlabelled rows stay NaN (DropnaLabel)."""
    ranked = pd.Series(label.astype(np.float64)).groupby(dates).rank(pct=True).to_numpy()
    return ((ranked - 0.5) * 3.46).astype(np.float32)
