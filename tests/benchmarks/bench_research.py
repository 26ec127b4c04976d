"""Research figures: Alpha158/CSI300 dataset build (cold, cached), LightGBM IC vs Qlib, GRU throughput vs Qlib.

Run on demand (not part of the test suite):
    .venv/bin/python -m tests.benchmarks.bench_research [--data ../shared/data] [--segments ...]
        [--skip-qlib] [--gru] [--gru-stocks 60] [--gru-epochs 2] [--device auto]
    .venv/bin/python tests/benchmarks/bench_research.py --dataset-ratio 60 --segments 2015:2016,2017:2017,2018:2018
        (the dataset build only: ours vs Qlib's loader, values compared, with the load average)

Imports every stock of cn/daily with the CSI300 membership into a temporary store, exports it for
Qlib, builds Alpha158 on CSI300 for the segments (Qlib's standard 2008-2014 / 2015-2016 / 2017-2020
by default), trains our LightGBM with Qlib's benchmark parameters and prints IC, ICIR, Rank IC,
Rank ICIR beside Qlib's published figures (IC 0.0448, Rank IC 0.0469) and beside Qlib's own
LGBModel trained on the same exported data and processors. With --gru: ours vs
qlib.contrib.model.pytorch_gru on an Alpha360 slice with the same hyper-parameters: samples/s of the
training passes of epochs 2.. (Qlib's per-epoch re-scoring of the train set not counted), as a ratio,
with the load average at start and end and both test ICs.
Seed-averaged model figures (ours vs Qlib's LightGBM, DoubleEnsemble, ensembles, rolling vs static, the
2021-2022 hold-out apart) are in tests/benchmarks/bench_research_models.py.
"""

from __future__ import annotations

import argparse
import resource
import tempfile
import time
from pathlib import Path
from typing import Any

from core.data.importer import discover_files, import_files
from core.data.qlib_export import export_qlib
from core.data.qlib_runtime import init_qlib
from core.datasets.config import STANDARD_SEGMENTS, DatasetConfig, Segments
from core.datasets.metrics import signal_metrics
from core.models import create_model
from core.models.base import EpochFinished, FitFinished
from core.research.dataset_builder import DatasetCache, build_dataset, processor_configs
from core.storage import MarketStore

REPO = Path(__file__).resolve().parents[2]

PUBLISHED = {"ic": 0.0448, "icir": 0.3660, "rank_ic": 0.0469, "rank_icir": 0.3877}  # Qlib README, LightGBM/Alpha158


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _line(label: str, value: str) -> None:
    print(f"{label:<58} {value}", flush=True)


def _metrics_line(label: str, m: dict[str, float]) -> None:
    _line(label, "  ".join(f"{k} {m[k]:+.4f}" for k in ("ic", "icir", "rank_ic", "rank_icir")))


def build_store(data: Path, root: Path, limit: int | None = None) -> Path:
    started = time.perf_counter()
    store = MarketStore.open(root / "market.sqlite")
    daily = sorted((data / "cn" / "daily").glob("*.csv"))[:limit] if limit else [data / "cn" / "daily"]
    files = discover_files([*daily, data / "cn" / "index" / "constituents" / "csi300_membership_intervals.csv"])
    for _ in import_files(store, files):
        pass
    provider = root / "qlib"
    for _ in export_qlib(store, provider):
        pass
    store.close()
    _line(f"store import + Qlib export ({len(files)} files)", f"{time.perf_counter() - started:8.1f} s")
    return provider


def build(config: DatasetConfig, provider: Path, cache: DatasetCache) -> Any:
    timings = []
    for _ in range(2):  # cold, then from the cache
        started = time.perf_counter()
        *_, dataset = build_dataset(config, provider, cache)
        timings.append(time.perf_counter() - started)
    _line(
        f"dataset {config.kind}/{config.universe} {config.segments.start}..{config.segments.end} cold",
        f"{timings[0]:8.1f} s  ({len(dataset):,} rows x {dataset.n_features}, peak RSS {_rss_mb():,.0f} MB)",
    )
    _line("dataset from the diskcache", f"{timings[1]:8.1f} s")
    return dataset


def dataset_ratio(data: Path, root: Path, count: int, segments: Segments) -> None:
    """Our columnar build vs Qlib's loader on the same export in this process, features and whole dataset
    (ours: core.research.processors; Qlib: its DataHandlerLP), values compared; cold builds, no cache."""

    import os

    import numpy as np

    from core.research.dataset_builder import feature_config, read_chunk, universe_spans
    from core.research.feature_blocks import compute_features
    from tests.core.research.slices import build_slice

    s = build_slice(data / "cn", root / "ratio", count, segments.start, segments.end)
    init_qlib(s.provider, s.data_dir / "work")
    for kind in ("alpha158", "alpha360"):
        config = DatasetConfig(kind, "csi300", segments)
        start, end = segments.start, segments.end
        spans = universe_spans("csi300", start, end)
        exprs, names = feature_config(kind)
        seconds: dict[str, float] = {}
        t = time.perf_counter()
        theirs = read_chunk(sorted(spans), exprs, names, config.label, spans, start, end).sort_index()
        seconds["qlib features"] = time.perf_counter() - t
        t = time.perf_counter()
        *_, ours = compute_features(s.provider, spans, start, end, exprs, names, config.label)
        seconds["ours features"] = time.perf_counter() - t
        a, b = theirs.to_numpy(np.float64), ours.sort_index().to_numpy(np.float64)
        same = bool(
            np.array_equal(np.isnan(a), np.isnan(b)) and np.allclose(a, b, rtol=2e-6, atol=1e-7, equal_nan=True)
        )
        built = {}
        for engine in ("qlib", "columnar"):
            t = time.perf_counter()
            *_, built[engine] = build_dataset(config, s.provider, None, None, engine)
            seconds[f"{engine} dataset"] = time.perf_counter() - t
        equal = np.allclose(built["qlib"].features, built["columnar"].features, rtol=1e-5, atol=1e-6)
        load = " ".join(f"{x:.2f}" for x in os.getloadavg())
        _line(
            f"{kind} {len(spans)} CSI300 stocks {start}..{end}: features",
            f"ours {seconds['ours features']:6.1f} s  Qlib {seconds['qlib features']:6.1f} s  "
            f"{seconds['qlib features'] / seconds['ours features']:4.1f}x  equal {same}  load {load}",
        )
        _line(
            f"{kind} whole dataset, processors included",
            f"ours {seconds['columnar dataset']:6.1f} s  Qlib {seconds['qlib dataset']:6.1f} s  "
            f"{seconds['qlib dataset'] / seconds['columnar dataset']:4.1f}x  equal {bool(equal)}",
        )


def ours_lightgbm(dataset: Any) -> dict[str, float]:
    model = create_model("lightgbm", seed=0)
    started = time.perf_counter()
    last: Any = None
    for report in model.fit(dataset):
        if isinstance(report, (EpochFinished, FitFinished)):
            last = report
    seconds = time.perf_counter() - started
    rows = dataset.rows("test")
    m = signal_metrics(model.predict(dataset), dataset.raw_label[rows], dataset.date_groups(rows))
    _line(
        "ours LightGBM fit",
        f"{seconds:8.1f} s  (best round {model.best_iteration}, "  # type: ignore[attr-defined]
        f"{last.epochs} blocks, peak RSS {_rss_mb():,.0f} MB)",
    )
    _metrics_line("ours LightGBM test metrics", m)
    return m


def qlib_lightgbm(config: DatasetConfig, dataset: Any) -> None:
    """Qlib's own Alpha158 handler and LGBModel, same processors and parameters, scored like ours."""
    import pandas as pd
    from qlib.contrib.data.handler import Alpha158
    from qlib.contrib.model.gbdt import LGBModel
    from qlib.data.dataset import DatasetH

    s = config.segments
    infer, learn = processor_configs(config)
    started = time.perf_counter()
    handler = Alpha158(
        instruments=config.universe,
        start_time=s.start,
        end_time=s.end,
        fit_start_time=s.train[0],
        fit_end_time=s.train[1],
        infer_processors=infer,
        learn_processors=learn,
    )
    qds = DatasetH(handler, segments=s.as_dict())
    _line("Qlib Alpha158 handler (same processors)", f"{time.perf_counter() - started:8.1f} s")
    params = create_model("lightgbm").params
    started = time.perf_counter()
    model = LGBModel(
        loss="mse",
        **{
            k: v
            for k, v in params.items()
            if k not in ("objective", "num_boost_round", "rounds_per_epoch", "early_stop", "stop_metric", "num_threads")
        },
    )
    with _qlib_recorder():
        model.fit(qds, num_boost_round=1000, early_stopping_rounds=50, verbose_eval=0)
    pred = model.predict(qds, segment="test")
    _line("Qlib LGBModel fit", f"{time.perf_counter() - started:8.1f} s")
    rows = dataset.rows("test")
    ours = pd.Series(dataset.raw_label[rows], index=dataset.index(rows))
    pred = pred.reindex(ours.index)
    _metrics_line(
        "Qlib LGBModel test metrics (same labels)",
        signal_metrics(pred.to_numpy(), ours.to_numpy(), dataset.date_groups(rows)),
    )


def _qlib_recorder() -> Any:
    """Qlib's own models log to (and save into) an active mlflow recorder; one in the temporary work dir."""
    import os

    from qlib.workflow import R

    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    return R.start(experiment_name="bench_research")


def _sync(device: str) -> None:
    """Finish queued GPU work before reading the clock (CUDA runs asynchronously)."""
    import torch

    if device.startswith("cuda"):
        torch.cuda.synchronize()


def _our_training_passes(model: Any, dataset: Any) -> tuple[float, int, float]:
    """Fit, timing epochs 2.. from the report that closed the previous epoch to the epoch's last batch.

    That span is the epoch's shuffle and training batches only: the validation scoring, early stopping and
    checkpoints after the last batch are left out, as is epoch 1 (warm-up), as on Qlib's side.
    Returns (training seconds, training samples, whole-fit seconds)."""
    from core.models.base import TrainingProgress

    n_train = len(dataset.rows("train", labelled=True))
    batches = None  # per epoch, known from the first report
    seconds, samples, mark = 0.0, 0, 0.0
    started = time.perf_counter()
    for report in model.fit(dataset):
        if isinstance(report, EpochFinished):
            mark = time.perf_counter()
        elif isinstance(report, TrainingProgress) and report.epoch > 1:
            batches = batches or report.total // int(model.params["epochs"])
            if report.done == report.epoch * batches:  # the epoch's last batch
                _sync(model.choice.device)
                seconds += time.perf_counter() - mark
                samples += n_train
    return seconds, samples, time.perf_counter() - started


def gru_throughput(provider: Path, stocks: int, epochs: int, device: str) -> None:
    """Ours vs qlib.contrib.model.pytorch_gru on an Alpha360 slice: samples/s of the training passes, as a ratio.

    The same work on both sides: the same rows, hyper-parameters, batch size and epochs; timed are the training
    passes of epochs 2.. (Qlib: its train_epoch, which drops the last partial batch; ours: from the end of the
    previous epoch to the epoch's last batch). Not timed: Qlib's per-epoch re-scoring of the whole train set and
    both sides' validation. The whole-fit ratio (which counts that re-scoring) is printed for reference.
    """
    import os

    import pandas as pd
    from qlib.contrib.data.handler import Alpha360
    from qlib.contrib.model.pytorch_gru import GRU
    from qlib.data import D
    from qlib.data.dataset import DatasetH

    load_start = os.getloadavg()
    segments = Segments.parse("2014-01-01:2016-12-31,2017-01-01:2017-12-31,2018-01-01:2018-12-31")
    members = D.list_instruments(D.instruments("csi300"), start_time=segments.start, end_time=segments.end)
    stored = D.list_instruments(D.instruments("all"), start_time=segments.start, end_time=segments.end)
    universe = tuple(sorted(m for m in members if m in stored)[:stocks])
    config = DatasetConfig("alpha360", universe, segments)
    *_, dataset = build_dataset(config, provider)
    batch = 800
    hp = {
        "lr": 2e-4,
        "batch_size": batch,
        "hidden_size": 64,
        "num_layers": 2,
        "dropout": 0.0,
        "epochs": epochs,
        "early_stop": 0,
    }
    ours = create_model("gru", hp, seed=0, device=device)
    ours_train_s, ours_samples, ours_s = _our_training_passes(ours, dataset)
    n_train = len(dataset.rows("train", labelled=True))
    rows = dataset.rows("test")
    m_ours = signal_metrics(ours.predict(dataset), dataset.raw_label[rows], dataset.date_groups(rows))
    device_name = ours.choice.device if ours.choice else "cpu"  # type: ignore[attr-defined]
    _line(f"GRU Alpha360 {len(universe)} stocks, {n_train:,} train rows, {epochs} epochs, {device_name}", "")
    _line("  load average at start (1, 5, 15 min)", "  ".join(f"{v:.2f}" for v in load_start))
    ours_rate = ours_samples / ours_train_s
    _line(
        "  ours: training passes (epochs 2..), samples/s",
        f"{ours_train_s:8.1f} s  {ours_rate:10,.0f}/s  ({ours_samples:,} samples)",
    )
    _metrics_line("  ours GRU test metrics", m_ours)
    infer, learn = processor_configs(config)
    handler = Alpha360(
        instruments=list(universe),
        start_time=segments.start,
        end_time=segments.end,
        fit_start_time=segments.train[0],
        fit_end_time=segments.train[1],
        infer_processors=infer,
        learn_processors=learn,
    )
    qds = DatasetH(handler, segments=segments.as_dict())
    gpu = 0 if ours.choice is not None and ours.choice.kind == "cuda" else -1  # type: ignore[attr-defined]
    theirs = GRU(
        d_feat=6,
        hidden_size=64,
        num_layers=2,
        dropout=0.0,
        n_epochs=epochs,
        lr=2e-4,
        early_stop=epochs + 1,
        batch_size=batch,
        metric="loss",
        loss="mse",
        GPU=gpu,
        seed=0,
    )
    passes: list[tuple[float, int]] = []
    train_epoch = theirs.train_epoch

    def timed_train_epoch(x_train: Any, y_train: Any) -> None:
        started = time.perf_counter()
        train_epoch(x_train, y_train)
        _sync(device_name)
        passes.append((time.perf_counter() - started, len(x_train) // batch * batch))

    theirs.train_epoch = timed_train_epoch  # type: ignore[method-assign]
    started = time.perf_counter()
    with _qlib_recorder():
        theirs.fit(qds)
    theirs_s = time.perf_counter() - started
    pred = theirs.predict(qds, segment="test").reindex(dataset.index(rows))
    m_theirs = signal_metrics(pred.to_numpy(), dataset.raw_label[rows], dataset.date_groups(rows))
    theirs_train_s, theirs_samples = sum(p[0] for p in passes[1:]), sum(p[1] for p in passes[1:])
    theirs_rate = theirs_samples / theirs_train_s
    _line(
        "  Qlib pytorch_gru: training passes (epochs 2..), samples/s",
        f"{theirs_train_s:8.1f} s  {theirs_rate:10,.0f}/s  ({theirs_samples:,} samples)",
    )
    _metrics_line("  Qlib GRU test metrics", m_theirs)
    _line("  training ratio ours / Qlib (same work)", f"{ours_rate / theirs_rate:8.2f} x")
    whole_ours, whole_theirs = n_train * epochs / ours_s, n_train * epochs / theirs_s
    _line(
        "  for reference, whole fit (Qlib re-scores the train set)",
        f"ours {ours_s:.1f} s, Qlib {theirs_s:.1f} s: {whole_ours / whole_theirs:.2f} x",
    )
    _line("  load average at end (1, 5, 15 min)", "  ".join(f"{v:.2f}" for v in os.getloadavg()))
    _line("  peak RSS", f"{_rss_mb():,.0f} MB")
    del pd


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=REPO.parent / "shared" / "data")
    parser.add_argument("--segments", default=str(STANDARD_SEGMENTS))
    parser.add_argument("--skip-qlib", action="store_true", help="skip Qlib's own LGBModel")
    parser.add_argument("--skip-lightgbm", action="store_true")
    parser.add_argument("--gru", action="store_true", help="GRU throughput vs Qlib's pytorch_gru")
    parser.add_argument("--gru-stocks", type=int, default=60)
    parser.add_argument("--gru-epochs", type=int, default=2, help="at least 2: epoch 1 is warm-up, not timed")
    parser.add_argument("--device", default="auto")
    parser.add_argument("--import-limit", type=int, help="import only the first N stock files (quick GRU runs)")
    parser.add_argument(
        "--dataset-ratio",
        type=int,
        metavar="STOCKS",
        help="only the dataset build, ours vs Qlib's loader, on this many CSI300 stocks over --segments",
    )
    args = parser.parse_args()
    if args.gru and args.gru_epochs < 2:
        parser.error("--gru-epochs must be at least 2 (the training ratio times epochs 2..)")
    with tempfile.TemporaryDirectory(prefix="qdesk-bench-research-") as tmp:
        root = Path(tmp)
        if args.dataset_ratio:
            dataset_ratio(args.data, root, args.dataset_ratio, Segments.parse(args.segments))
            return
        provider = build_store(args.data, root, args.import_limit)
        init_qlib(provider, root / "work")
        if not args.skip_lightgbm:
            config = DatasetConfig("alpha158", "csi300", Segments.parse(args.segments))
            cache = DatasetCache(root / "cache")
            dataset = build(config, provider, cache)
            cache.close()
            m = ours_lightgbm(dataset)
            _metrics_line("Qlib published LightGBM Alpha158/CSI300 (2017-2020)", PUBLISHED)
            _line(
                "ours minus published IC / Rank IC",
                f"{m['ic'] - PUBLISHED['ic']:+.4f} / {m['rank_ic'] - PUBLISHED['rank_ic']:+.4f}",
            )
            if not args.skip_qlib:
                qlib_lightgbm(config, dataset)
            del dataset
        if args.gru:
            gru_throughput(provider, args.gru_stocks, args.gru_epochs, args.device)


if __name__ == "__main__":
    main()
