"""Dataset configuration: segments syntax, universes, label and processors; its fingerprint keys the cache."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from itertools import pairwise
from pathlib import Path
from typing import Any

from core.domain.symbols import SymbolFormatError, parse_symbol

DEFAULT_LABEL = "Ref($close, -2)/Ref($close, -1) - 1"
DATASETS = ("alpha158", "alpha360")
MARKETS = ("csi300", "csi500", "all")
FEATURE_NORMS = ("robust_zscore", "zscore", "none")
LABEL_NORMS = ("cs_rank", "cs_zscore", "none")
SEGMENT_NAMES = ("train", "valid", "test")
SEGMENTS_HELP = (
    "TRAIN,VALID,TEST date ranges as START:END, e.g. "
    "2008-01-01:2014-12-31,2015-01-01:2016-12-31,2017-01-01:2020-12-31; "
    "a year (2008:2014) or a month (2015-01:2016-12) stands for its first/last day"
)
_DATE = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")


def _expand(text: str, end: bool) -> str:
    """A date, month or year as an ISO day; an end expands to the last day of its month or year."""
    m = _DATE.match(text.strip())
    if not m:
        raise ValueError(f"bad date {text!r}: expected YYYY, YYYY-MM or YYYY-MM-DD")
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    try:
        if day is not None:
            return dt.date(year, int(month), int(day)).isoformat()
        if month is not None:
            first = dt.date(year, int(month), 1)
            if not end:
                return first.isoformat()
            nxt = dt.date(year + (first.month == 12), first.month % 12 + 1, 1)
            return (nxt - dt.timedelta(days=1)).isoformat()
    except ValueError:
        raise ValueError(f"bad date {text!r}") from None
    return dt.date(year, 12, 31).isoformat() if end else dt.date(year, 1, 1).isoformat()


@dataclass(frozen=True, slots=True)
class Segments:
    """Train, valid and test date ranges (inclusive ISO days), in time order and not overlapping."""

    train: tuple[str, str]
    valid: tuple[str, str]
    test: tuple[str, str]

    def __post_init__(self) -> None:
        spans = [self.train, self.valid, self.test]
        for name, (start, end) in zip(SEGMENT_NAMES, spans, strict=True):
            if start > end:
                raise ValueError(f"{name} segment starts after it ends: {start} > {end}")
        for (a_name, a), (b_name, b) in pairwise(zip(SEGMENT_NAMES, spans, strict=True)):
            if a[1] >= b[0]:
                raise ValueError(f"{b_name} segment must start after {a_name} ends ({b[0]} <= {a[1]})")

    @classmethod
    def parse(cls, text: str) -> Segments:
        """Parse `TRAIN,VALID,TEST` with each range `START:END` (see SEGMENTS_HELP)."""
        parts = [p.strip() for p in text.split(",") if p.strip()]
        if len(parts) != 3:
            raise ValueError(f"expected three ranges TRAIN,VALID,TEST separated by commas, got {len(parts)}")
        ranges = []
        for part in parts:
            if part.count(":") != 1:
                raise ValueError(f"bad range {part!r}: expected START:END")
            start, end = part.split(":")
            ranges.append((_expand(start, end=False), _expand(end, end=True)))
        return cls(*ranges)

    def __str__(self) -> str:
        return ",".join(f"{a}:{b}" for a, b in (self.train, self.valid, self.test))

    @property
    def start(self) -> str:
        return self.train[0]

    @property
    def end(self) -> str:
        return self.test[1]

    def as_dict(self) -> dict[str, tuple[str, str]]:
        return {"train": self.train, "valid": self.valid, "test": self.test}


STANDARD_SEGMENTS = Segments(("2008-01-01", "2014-12-31"), ("2015-01-01", "2016-12-31"), ("2017-01-01", "2020-12-31"))


def parse_universe(text: str) -> str | tuple[str, ...]:
    """A market name (csi300, csi500, all, or another exported instruments file) or a watchlist.

    A watchlist is a comma/space separated list of symbols in any spelling parse_symbol accepts, or
    `@FILE` naming a text file of them; it becomes a sorted tuple of Qlib codes (SH600000).
    """
    raw = text.strip()
    if raw.startswith("@"):
        path = Path(raw[1:]).expanduser()
        if not path.exists():
            raise ValueError(f"watchlist file {path} not found")
        raw = path.read_text(encoding="utf-8")
    tokens = [t for t in re.split(r"[\s,;]+", raw) if t]
    if not tokens:
        raise ValueError("empty universe")
    if len(tokens) == 1 and re.fullmatch(r"[a-z][a-z0-9_]*", tokens[0]):
        return tokens[0]
    try:
        return tuple(sorted({parse_symbol(t).qlib_code for t in tokens}))
    except SymbolFormatError as exc:
        raise ValueError(str(exc)) from None


@dataclass(frozen=True, slots=True)
class DatasetConfig:
    """Everything that decides a built dataset; its fingerprint is the dataset cache key."""

    kind: str
    universe: str | tuple[str, ...]
    segments: Segments
    label: str = DEFAULT_LABEL
    feature_norm: str = "robust_zscore"
    fill_nan: bool = True
    label_norm: str = "cs_rank"
    factors: tuple[tuple[str, str], ...] = ()  # (name, expression) added as features after the kind's own

    def __post_init__(self) -> None:
        if self.kind not in DATASETS:
            raise ValueError(f"unknown dataset {self.kind!r}; choose one of {', '.join(DATASETS)}")
        names = [name for name, _ in self.factors]
        if len(set(names)) != len(names):
            raise ValueError(f"factor names repeat: {', '.join(sorted(n for n in set(names) if names.count(n) > 1))}")
        if self.feature_norm not in FEATURE_NORMS:
            raise ValueError(f"unknown feature normalisation {self.feature_norm!r}")
        if self.label_norm not in LABEL_NORMS:
            raise ValueError(f"unknown label normalisation {self.label_norm!r}")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["segments"] = str(self.segments)
        out["universe"] = self.universe if isinstance(self.universe, str) else list(self.universe)
        if self.factors:
            out["factors"] = [list(pair) for pair in self.factors]
        else:
            del out["factors"]  # datasets without factors keep the keys (and caches) they had before factors
        return out

    @property
    def name(self) -> str:
        """The feature set as written on the command line: alpha158, or alpha158+N factors."""
        return f"{self.kind}+{len(self.factors)} factors" if self.factors else self.kind

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DatasetConfig:
        universe = data["universe"]
        return cls(
            kind=data["kind"],
            universe=universe if isinstance(universe, str) else tuple(universe),
            segments=Segments.parse(data["segments"]),
            label=data.get("label", DEFAULT_LABEL),
            feature_norm=data.get("feature_norm", "robust_zscore"),
            fill_nan=bool(data.get("fill_nan", True)),
            label_norm=data.get("label_norm", "cs_rank"),
            factors=tuple((str(n), str(e)) for n, e in data.get("factors", ())),
        )

    def fingerprint(self) -> str:
        return hashlib.sha256(json.dumps(self.to_dict(), sort_keys=True).encode()).hexdigest()
