"""Disk cache for expensive feature reads (Qlib expressions over many instruments and years)."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.data.qlib_export import MANIFEST

if TYPE_CHECKING:
    import pandas as pd

_DEFAULT_LIMIT = 4 * 1024**3  # bytes; diskcache evicts least-recently-used entries past this


class FeatureCache:
    """Caches `D.features` results keyed by the full request and the export they were read from.

    The key includes the export's store id and revision, so re-exporting newer data can never
    serve stale features; entries of old exports simply age out.
    """

    def __init__(self, directory: Path, size_limit: int = _DEFAULT_LIMIT) -> None:
        import diskcache

        self._cache = diskcache.Cache(str(directory), size_limit=size_limit)
        self.hits = 0
        self.misses = 0

    def features(
        self,
        provider_dir: Path,
        instruments: Any,
        fields: Sequence[str],
        start: str | None = None,
        end: str | None = None,
        freq: str = "day",
    ) -> pd.DataFrame:
        """Same result as `qlib.data.D.features(...)` on an initialized Qlib, served from disk when seen."""
        key = self.key(provider_dir, instruments, fields, start, end, freq)
        cached = self._cache.get(key)
        if cached is not None:
            self.hits += 1
            return cached
        from qlib.data import D

        self.misses += 1
        frame = D.features(instruments, list(fields), start_time=start, end_time=end, freq=freq)
        self._cache.set(key, frame)
        return frame

    @staticmethod
    def key(
        provider_dir: Path, instruments: Any, fields: Sequence[str], start: str | None, end: str | None, freq: str
    ) -> str:
        manifest = Path(provider_dir) / MANIFEST
        export = json.loads(manifest.read_text()) if manifest.exists() else {}
        if not export:  # a folder QDesk did not write: fall back to when its calendar last changed
            calendar = Path(provider_dir) / "calendars" / f"{freq}.txt"
            export = {"revision": calendar.stat().st_mtime_ns if calendar.exists() else None}
        request = {
            "provider": str(Path(provider_dir).resolve()),
            "export": [export.get("store_id"), export.get("revision")],
            "instruments": instruments,
            "fields": list(fields),
            "start": start,
            "end": end,
            "freq": freq,
        }
        return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()

    def clear(self) -> None:
        self._cache.clear()

    def close(self) -> None:
        self._cache.close()
