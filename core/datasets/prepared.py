"""PreparedDataset: a built dataset as flat numpy arrays, with segment rows and per-instrument history links."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from core.datasets.config import DatasetConfig

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd

# Alpha360 is 6 price/volume fields x 60 days, laid out field-major, oldest day first.
ALPHA360_FIELDS = 6
ALPHA360_DAYS = 60


@dataclass(eq=False)
class PreparedDataset:
    """Rows sorted by (datetime, instrument), as Qlib orders them.

    `features` went through the inference processors (what a model sees at prediction time);
    `label` went through the learning processors and is NaN where they dropped the row;
    `raw_label` is the label expression's own value, used to score predictions.
    """

    config: DatasetConfig
    feature_names: tuple[str, ...]
    features: np.ndarray  # float32 (N, F)
    label: np.ndarray  # float32 (N,)
    raw_label: np.ndarray  # float32 (N,)
    dates: np.ndarray  # datetime64[ns] (N,)
    instrument_codes: np.ndarray  # int32 (N,), index into instrument_names
    instrument_names: tuple[str, ...]
    # Qlib's fitted inference processors, pickled: what scoring a new day must apply to its features.
    infer_processors: bytes | None = field(default=None, repr=False)
    _prev: np.ndarray | None = field(default=None, repr=False)

    def __len__(self) -> int:
        return len(self.dates)

    @property
    def n_features(self) -> int:
        return int(self.features.shape[1])

    def rows(self, segment: str, labelled: bool = False) -> np.ndarray:
        """Row positions of a segment; with `labelled`, only rows the learning processors kept."""
        import numpy as np

        start, end = self.config.segments.as_dict()[segment]
        lo, hi = np.searchsorted(self.dates, [np.datetime64(start), np.datetime64(end) + np.timedelta64(1, "D")])
        rows = np.arange(lo, hi, dtype=np.int64)
        return rows[np.isfinite(self.label[rows])] if labelled else rows

    def index(self, rows: np.ndarray) -> pd.MultiIndex:
        """Qlib's (datetime, instrument) index for `rows`."""
        import numpy as np
        import pandas as pd

        names = np.asarray(self.instrument_names, dtype=object)
        return pd.MultiIndex.from_arrays(
            [pd.DatetimeIndex(self.dates[rows]), names[self.instrument_codes[rows]]], names=["datetime", "instrument"]
        )

    def previous_rows(self) -> np.ndarray:
        """For each row, the row of the same instrument on its previous day in the data (itself if none)."""
        import numpy as np

        if self._prev is None:
            order = np.lexsort((self.dates, self.instrument_codes))  # by instrument, then date
            prev_sorted = np.empty_like(order)
            prev_sorted[0] = order[0]
            prev_sorted[1:] = order[:-1]
            first = np.ones(len(order), dtype=bool)
            first[1:] = self.instrument_codes[order[1:]] != self.instrument_codes[order[:-1]]
            prev_sorted[first] = order[first]
            prev = np.empty_like(order)
            prev[order] = prev_sorted
            self._prev = prev
        return self._prev

    def date_groups(self, rows: np.ndarray) -> np.ndarray:
        """Start offsets of each day's block within `rows` (rows are in date order)."""
        import numpy as np

        dates = self.dates[rows]
        if len(dates) == 0:
            return np.zeros(0, dtype=np.int64)
        return np.flatnonzero(np.concatenate([[True], dates[1:] != dates[:-1]]))

    def to_state(self) -> dict[str, Any]:
        """Plain picklable content for the dataset cache."""
        return {
            "config": self.config.to_dict(),
            "feature_names": list(self.feature_names),
            "features": self.features,
            "label": self.label,
            "raw_label": self.raw_label,
            "dates": self.dates,
            "instrument_codes": self.instrument_codes,
            "instrument_names": list(self.instrument_names),
            "infer_processors": self.infer_processors,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> PreparedDataset:
        return cls(
            config=DatasetConfig.from_dict(state["config"]),
            feature_names=tuple(state["feature_names"]),
            features=state["features"],
            label=state["label"],
            raw_label=state["raw_label"],
            dates=state["dates"],
            instrument_codes=state["instrument_codes"],
            instrument_names=tuple(state["instrument_names"]),
            infer_processors=state.get("infer_processors"),
        )
