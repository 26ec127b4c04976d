"""RunRegistry: trained runs in SQLite (config, metrics, data range) with their artifacts in the data folder.

Each run owns `runs/<run_id>/` (model file, `predictions.parquet`, `run.json`). A run is written
artifacts first, then one row in one transaction, so a crash never leaves a row without files;
a folder without a row is swept on the next open. The backtest loads predictions through
`RunRegistry.predictions(run_id)`.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import secrets
import shutil
import sqlite3
import zipfile
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.events import EventSink, RunDeleted, RunRegistered

log = logging.getLogger(__name__)

if TYPE_CHECKING:
    import pandas as pd

REGISTRY_FILE = "research.sqlite"
RUNS_DIR = "runs"
PREDICTIONS_FILE = "predictions.parquet"
PROCESSORS_FILE = "processors.pkl"  # Qlib's fitted inference processors, for scoring new days
METRIC_NAMES = ("ic", "icir", "rank_ic", "rank_icir")

_SCHEMA = """
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    created TEXT NOT NULL,
    model TEXT NOT NULL,
    dataset TEXT NOT NULL,
    universe TEXT NOT NULL,
    data_start TEXT NOT NULL,
    data_end TEXT NOT NULL,
    config TEXT NOT NULL,
    metrics TEXT NOT NULL,
    model_file TEXT NOT NULL,
    epochs INTEGER NOT NULL DEFAULT 0,
    best_epoch INTEGER NOT NULL DEFAULT 0,
    train_seconds REAL NOT NULL DEFAULT 0,
    device TEXT NOT NULL DEFAULT ''
)
"""


class UnknownRun(KeyError):
    """No run with that id in the registry."""

    def __str__(self) -> str:
        return f"no run {self.args[0]!r} in the registry"


class CannotScore(ValueError):
    """The run was registered without its fitted feature processing, so it cannot score new days."""

    def __init__(self, run_id: str) -> None:
        super().__init__(
            f"run {run_id} has no saved feature processing (trained by an older version); retrain it to score new days"
        )


@dataclass(frozen=True, slots=True)
class RunRecord:
    """One registered run, as listed and compared."""

    run_id: str
    created: str
    model: str
    dataset: str
    universe: str
    data_start: str
    data_end: str
    config: dict[str, Any]
    metrics: dict[str, float]
    model_file: str
    epochs: int
    best_epoch: int
    train_seconds: float
    device: str


def new_run_id(model: str) -> str:
    """Sortable and unique: UTC time, model name, a random suffix."""
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{model.lower()}-{secrets.token_hex(2)}"


class RunRegistry:
    """The run registry of one data folder; safe from any thread (one short-lived connection per call).

    With `events`, every recorded or deleted run is published as a fact (from the thread that did it),
    so every dock that lists runs hears of a run the moment training registers it.
    """

    def __init__(self, data_dir: Path, events: EventSink | None = None) -> None:
        self.data_dir = Path(data_dir)
        self.events = events
        self.path = self.data_dir / REGISTRY_FILE
        self.runs_dir = self.data_dir / RUNS_DIR
        # Nothing is created until a run is recorded: opening the registry (e.g. in a screenshot run
        # or a fresh data folder) leaves the folder untouched.

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        fresh = not self.path.exists()
        if fresh:
            self.data_dir.mkdir(parents=True, exist_ok=True)
        conn = sqlite3.connect(self.path, timeout=30)
        if fresh:
            conn.execute("PRAGMA journal_mode=WAL")
        conn.execute(_SCHEMA)
        conn.row_factory = sqlite3.Row
        try:
            with conn:  # one transaction: committed on success, rolled back on error
                yield conn
        finally:
            conn.close()

    def run_dir(self, run_id: str) -> Path:
        """Where a run's artifacts live (created on demand by the trainer)."""
        if not run_id or "/" in run_id or "\\" in run_id or run_id.startswith("."):
            raise ValueError(f"bad run id {run_id!r}")
        return self.runs_dir / run_id

    def record(
        self,
        run_id: str,
        config: Mapping[str, Any],
        metrics: Mapping[str, float],
        predictions: pd.DataFrame,
        model_file: Path,
        data_range: tuple[str, str],
        epochs: int = 0,
        best_epoch: int = 0,
        train_seconds: float = 0.0,
        device: str = "",
    ) -> RunRecord:
        """Store a finished run: predictions (index (datetime, instrument), column `score`) and one row."""
        if "score" not in predictions.columns or list(predictions.index.names) != ["datetime", "instrument"]:
            raise ValueError("predictions need a (datetime, instrument) index and a 'score' column")
        folder = self.run_dir(run_id)
        folder.mkdir(parents=True, exist_ok=True)
        predictions.to_parquet(folder / PREDICTIONS_FILE)
        dataset = dict(config.get("dataset", {}))
        universe = dataset.get("universe", "")
        record = RunRecord(
            run_id=run_id,
            created=dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
            model=str(config.get("model", "")),
            dataset=str(dataset.get("kind", "")),
            universe=universe if isinstance(universe, str) else f"list({len(universe)})",
            data_start=data_range[0],
            data_end=data_range[1],
            config=dict(config),
            metrics={k: float(v) for k, v in metrics.items()},
            model_file=str(Path(model_file).resolve().relative_to(folder.resolve())),
            epochs=int(epochs),
            best_epoch=int(best_epoch),
            train_seconds=float(train_seconds),
            device=device,
        )
        (folder / "run.json").write_text(json.dumps(_as_row(record), indent=2, default=str), encoding="utf-8")
        row = _as_row(record)
        with self._connect() as conn:
            conn.execute(
                f"INSERT INTO runs ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})",
                [json.dumps(v) if isinstance(v, dict) else v for v in row.values()],
            )
        log.info(
            "run %s registered: %s on %s, %s to %s, %d epochs in %.0f s on %s",
            record.run_id,
            record.model,
            record.dataset,
            record.data_start,
            record.data_end,
            record.epochs,
            record.train_seconds,
            record.device,
        )
        if self.events is not None:
            self.events.publish(RunRegistered(record.run_id, record.model))
        return record

    def runs(self) -> list[RunRecord]:
        """All runs, newest first."""
        if not self.path.exists():
            return []
        with self._connect() as conn:
            rows = conn.execute("SELECT * FROM runs ORDER BY created DESC, run_id DESC").fetchall()
        return [_from_row(r) for r in rows]

    def get(self, run_id: str) -> RunRecord:
        if not self.path.exists():
            raise UnknownRun(run_id)
        with self._connect() as conn:
            row = conn.execute("SELECT * FROM runs WHERE run_id = ?", (run_id,)).fetchone()
        if row is None:
            raise UnknownRun(run_id)
        return _from_row(row)

    def predictions(self, run_id: str) -> pd.DataFrame:
        """Test-segment scores: index (datetime, instrument), column `score` (and `label`, the realised return)."""
        import pandas as pd

        self.get(run_id)
        frame = pd.read_parquet(self.run_dir(run_id) / PREDICTIONS_FILE)
        return frame.sort_index()

    def model_path(self, run_id: str) -> Path:
        return self.run_dir(run_id) / self.get(run_id).model_file

    def can_score(self, run_id: str) -> bool:
        """Whether the run kept what scoring new days needs (its fitted feature processing; an ensemble: every
        member's)."""
        members = self.get(run_id).config.get("ensemble", {}).get("members")
        if members:
            try:
                return all(self.can_score(m) for m in members)
            except UnknownRun:  # a member was deleted since
                return False
        return (self.run_dir(run_id) / PROCESSORS_FILE).exists()

    def infer_processors(self, run_id: str) -> tuple[Any, ...]:
        """The run's fitted Qlib inference processors, in the order training applied them."""
        import pickle

        self.get(run_id)
        path = self.run_dir(run_id) / PROCESSORS_FILE
        if not path.exists():
            raise CannotScore(run_id)
        # Written by this data folder's own training job, never taken from elsewhere.
        return tuple(pickle.loads(path.read_bytes()))

    def compare(self, run_ids: Sequence[str]) -> list[dict[str, Any]]:
        """One row per run: id, model, dataset, universe, range, epochs, seconds and every metric."""
        out = []
        for run_id in run_ids:
            r = self.get(run_id)
            out.append(
                {
                    "run_id": r.run_id,
                    "model": r.model,
                    "dataset": r.dataset,
                    "universe": r.universe,
                    "range": f"{r.data_start}:{r.data_end}",
                    "epochs": r.epochs,
                    "train_seconds": r.train_seconds,
                    **{m: r.metrics.get(m) for m in METRIC_NAMES},
                }
            )
        return out

    def delete(self, run_id: str) -> None:
        """Remove the row, then the files; a folder left behind by a crash here is swept by `sweep`."""
        self.get(run_id)
        with self._connect() as conn:
            conn.execute("DELETE FROM runs WHERE run_id = ?", (run_id,))
        shutil.rmtree(self.run_dir(run_id), ignore_errors=True)
        log.info("run %s deleted", run_id)
        if self.events is not None:
            self.events.publish(RunDeleted(run_id))

    def export(self, run_id: str, destination: Path) -> Path:
        """A zip with run.json, the model file and the predictions; `destination` is a folder or a .zip path."""
        self.get(run_id)
        destination = Path(destination)
        target = destination if destination.suffix == ".zip" else destination / f"{run_id}.zip"
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = target.with_suffix(".zip.partial")
        with zipfile.ZipFile(partial, "w", compression=zipfile.ZIP_DEFLATED) as zf:
            for path in sorted(self.run_dir(run_id).rglob("*")):
                if path.is_file() and "checkpoints" not in path.parts:
                    zf.write(path, f"{run_id}/{path.relative_to(self.run_dir(run_id))}")
        partial.replace(target)  # never a half-written zip under the final name
        return target

    def sweep(self, keep: Sequence[str] = ()) -> list[str]:
        """Delete run folders that have no row (crashed before registering), except `keep`."""
        if not self.runs_dir.exists() or not self.path.exists():
            return []
        with self._connect() as conn:
            known = {r[0] for r in conn.execute("SELECT run_id FROM runs")}
        removed = []
        for folder in self.runs_dir.iterdir():
            if folder.is_dir() and folder.name not in known and folder.name not in keep:
                shutil.rmtree(folder, ignore_errors=True)
                removed.append(folder.name)
        return removed


def _as_row(r: RunRecord) -> dict[str, Any]:
    return {
        "run_id": r.run_id,
        "created": r.created,
        "model": r.model,
        "dataset": r.dataset,
        "universe": r.universe,
        "data_start": r.data_start,
        "data_end": r.data_end,
        "config": r.config,
        "metrics": r.metrics,
        "model_file": r.model_file,
        "epochs": r.epochs,
        "best_epoch": r.best_epoch,
        "train_seconds": r.train_seconds,
        "device": r.device,
    }


def _from_row(row: sqlite3.Row) -> RunRecord:
    data = dict(row)
    data["config"] = json.loads(data["config"])
    data["metrics"] = json.loads(data["metrics"])
    return RunRecord(**data)
