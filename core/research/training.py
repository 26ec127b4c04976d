"""The training job behind both the panel and `main.py train`: export, dataset, fit, score, register.

`run_training` is a plain generator: it yields StageProgress while exporting and building, the
model's own reports (TrainingProgress, EpochFinished, FitFinished) while fitting, and RunFinished
last. A fit interrupted by cancel or a crash resumes from its checkpoint when the same request runs
again; the checkpoint is removed once the run is registered.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
import time
from collections.abc import Callable, Generator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from core.jobs import CancelToken, Progress
from core.paths import store_path
from core.research.config import StartTraining
from core.research.registry import PROCESSORS_FILE, RunRecord, RunRegistry, new_run_id

if TYPE_CHECKING:  # pandas and qlib load only when a dataset is built
    from core.datasets.prepared import PreparedDataset

PROVIDER_DIR = "qlib"
WORK_DIR = "work"
DATASET_CACHE_DIR = "cache/datasets"
CHECKPOINTS_DIR = "checkpoints"


@dataclass(frozen=True, slots=True)
class StageProgress(Progress):
    """Progress of a stage before or after the fit: 'export', 'dataset' or 'predict'."""

    stage: str = ""


class DegeneratePredictions(ValueError):
    """The trained model's scores cannot rank stocks; the message says what to change."""


@dataclass(frozen=True, slots=True)
class RunFinished:
    """The run is scored on the test segment and registered."""

    run_id: str
    metrics: dict[str, float]
    record: RunRecord
    seconds: float


def checkpoint_key(request: StartTraining, dataset_key: str) -> str:
    """Same request on the same data → same checkpoint folder, so a rerun resumes."""
    content = {"request": request.to_dict(), "dataset": dataset_key}
    return hashlib.sha256(json.dumps(content, sort_keys=True, default=str).encode()).hexdigest()[:20]


def run_training(
    request: StartTraining,
    data_dir: Path,
    cancel: CancelToken | None = None,
    registry: RunRegistry | None = None,
    store_file: Path | None = None,
) -> Iterator[Any]:
    """Train `request` on the store in `data_dir` (or `store_file`) and register the run in `data_dir`.

    The Qlib export lives beside the store (`qlib/`); caches, checkpoints and runs in `data_dir`.
    """
    from core.models import create_model

    cancel = cancel or CancelToken()
    started = time.perf_counter()
    data_dir = Path(data_dir)
    model = create_model(
        request.model, request.params, seed=request.seed, device=request.device, amp=request.amp
    )  # bad names, parameters or devices fail before any work
    check_device(model)
    dataset, provider = yield from prepare_dataset(request, data_dir, cancel, store_file)
    from core.research.dataset_builder import dataset_key

    ckpt = data_dir / CHECKPOINTS_DIR / checkpoint_key(request, dataset_key(request.dataset, provider))
    fit_report = None
    for report in model.fit(dataset, cancel, ckpt):
        fit_report = report
        yield report
    cancel.raise_if_cancelled()
    yield StageProgress(0, 1, "scoring the test segment", stage="predict")
    record = _register(
        request, model, dataset, registry or RunRegistry(data_dir), fit_report, time.perf_counter() - started
    )
    shutil.rmtree(ckpt, ignore_errors=True)
    yield StageProgress(1, 1, "registered", stage="predict")
    yield RunFinished(record.run_id, record.metrics, record, time.perf_counter() - started)


def prepare_dataset(
    request: StartTraining, data_dir: Path, cancel: CancelToken, store_file: Path | None = None
) -> Generator[StageProgress, None, tuple[PreparedDataset, Path]]:
    """Export the store for Qlib (incrementally) and build (or fetch from the cache) the request's dataset.

    Returns the dataset and the Qlib provider folder it was built from.
    """
    provider = yield from export_store(data_dir, cancel, store_file)
    dataset = yield from _build(request, provider, Path(data_dir), cancel)
    return dataset, provider


def export_store(
    data_dir: Path, cancel: CancelToken, store_file: Path | None = None
) -> Generator[StageProgress, None, Path]:
    """Bring the Qlib export beside the store up to date (incrementally); returns the provider folder."""
    from core.data.qlib_export import export_qlib
    from core.storage import MarketStore

    store_file = Path(store_file) if store_file is not None else store_path(Path(data_dir))
    if not store_file.exists():
        raise ValueError(f"no market store at {store_file}; import data first (data import PATH...)")
    provider = store_file.parent / PROVIDER_DIR
    store = MarketStore.open(store_file)
    try:
        for step in export_qlib(store, provider, cancel):
            if isinstance(step, Progress):
                yield StageProgress(step.done, step.total, "exporting the store for Qlib", stage="export")
    finally:
        store.close()
    cancel.raise_if_cancelled()
    return provider


def check_device(model: Any) -> None:
    """Resolve the device now, so an unavailable one is refused before the export and dataset build."""
    from core.models.device import select_device

    if hasattr(model, "device_request"):
        select_device(model.device_request, model.amp_request)


def _build(
    request: StartTraining, provider: Path, data_dir: Path, cancel: CancelToken
) -> Generator[StageProgress, None, PreparedDataset]:
    from core.data.qlib_runtime import init_qlib
    from core.datasets.prepared import PreparedDataset
    from core.research.dataset_builder import DatasetCache, build_dataset

    init_qlib(provider, data_dir / WORK_DIR)
    _quiet_qlib()
    cache = DatasetCache(data_dir / DATASET_CACHE_DIR)
    try:
        for step in build_dataset(request.dataset, provider, cache, cancel):
            if isinstance(step, PreparedDataset):
                return step
            yield StageProgress(step.done, step.total, step.message, stage="dataset")
    finally:
        cache.close()
    raise RuntimeError("dataset build ended without a dataset")


def _quiet_qlib() -> None:
    # Qlib logs every processor step at INFO; the job's own progress says the same in one line.
    for name in list(logging.root.manager.loggerDict):
        if name == "qlib" or name.startswith("qlib."):
            logging.getLogger(name).setLevel(logging.WARNING)


def _register(
    request: StartTraining, model: Any, dataset: Any, registry: RunRegistry, fit_report: Any, seconds: float
) -> RunRecord:
    rows = dataset.rows("test")
    if len(rows) == 0:
        raise ValueError(f"the test segment {request.dataset.segments.test} has no rows in the data")
    scores = model.predict(dataset, "test")
    choice = getattr(model, "choice", None)

    def save(folder: Path) -> Path:
        return model.save(folder / model_file_name(request.model))

    return register_scores(
        request,
        dataset,
        scores,
        registry,
        save,
        {"resolved_params": model.params},
        run_id=new_run_id(request.model),
        epochs=getattr(fit_report, "epochs", 0),
        best_epoch=getattr(fit_report, "best_epoch", 0),
        seconds=seconds,
        device=choice.device if choice is not None else "cpu",
    )


def model_file_name(model: str) -> str:
    """The file a model of this name saves to inside its run folder."""
    from core.models import TREE_MODELS

    return "model.json" if model in TREE_MODELS else "model.pt"


def register_scores(
    request: StartTraining,
    dataset: Any,
    scores: Any,
    registry: RunRegistry,
    save: Callable[[Path], Path],
    extra_config: dict[str, Any],
    run_id: str,
    epochs: int = 0,
    best_epoch: int = 0,
    seconds: float = 0.0,
    device: str = "cpu",
) -> RunRecord:
    """Check and register test-segment `scores` (one per row of `dataset.rows("test")`); `save` writes the model
    file(s) into the run folder and returns the file that scores new days."""
    import pandas as pd

    from core.datasets.metrics import prediction_problem, signal_metrics

    rows = dataset.rows("test")
    params = dict(extra_config.get("resolved_params", request.params))
    problem = prediction_problem(scores, dataset.date_groups(rows), request.model, params)
    if problem is not None:  # a run that cannot rank stocks is refused rather than registered with IC nan
        raise DegeneratePredictions(f"{request.model} test predictions: {problem}")
    metrics = signal_metrics(scores, dataset.raw_label[rows], dataset.date_groups(rows))
    predictions = pd.DataFrame(
        {"score": scores.astype("float64"), "label": dataset.raw_label[rows]}, index=dataset.index(rows)
    )
    folder = registry.run_dir(run_id)
    folder.mkdir(parents=True, exist_ok=True)
    try:
        model_file = save(folder)
        if dataset.infer_processors is not None:  # what scoring a new day applies to its features
            (folder / PROCESSORS_FILE).write_bytes(dataset.infer_processors)
        config = {**request.to_dict(), **extra_config}
        dates = dataset.dates
        return registry.record(
            run_id,
            config,
            metrics,
            predictions,
            model_file,
            (str(dates.min())[:10], str(dates.max())[:10]),
            epochs=epochs,
            best_epoch=best_epoch,
            train_seconds=seconds,
            device=device,
        )
    except Exception:
        shutil.rmtree(folder, ignore_errors=True)  # nothing half-registered
        raise
