"""Start Qlib on an exported provider folder: offline, no Redis, experiment logs kept out of the repo."""

from __future__ import annotations

import sys
import threading
from pathlib import Path

_lock = threading.Lock()
_current: tuple[str, str] | None = None


def forget_reads() -> None:
    """Drop the calendars, instruments and features Qlib keeps in memory for the life of the process: after an
    export rewrote the provider they are stale, and a desktop scoring day after day would score the old newest day."""
    cache = sys.modules.get("qlib.data.cache")  # nothing read yet when Qlib was never imported
    if cache is not None:
        cache.H.clear()


def init_qlib(provider_dir: Path, work_dir: Path, kernels: int | None = None) -> None:
    """`qlib.init` for the CN region on `provider_dir`, once per (provider, work dir) pair.

    Qlib's recorder logs to mlflow; by default it would create `./mlruns` wherever the process
    happens to run, so it is pointed at `work_dir/mlruns` instead. Expression and dataset caches
    stay off (they need Redis); QDesk caches expensive reads itself with diskcache.
    """
    global _current
    key = (str(Path(provider_dir).resolve()), str(Path(work_dir).resolve()))
    with _lock:
        if _current == key:
            return
        import qlib

        mlruns = Path(work_dir) / "mlruns"
        mlruns.mkdir(parents=True, exist_ok=True)
        options: dict[str, object] = {
            "provider_uri": key[0],
            "region": "cn",
            "expression_cache": None,
            "dataset_cache": None,
            "exp_manager": {
                "class": "MLflowExpManager",
                "module_path": "qlib.workflow.expm",
                "kwargs": {"uri": mlruns.resolve().as_uri(), "default_exp_name": "qdesk"},
            },
        }
        if kernels is not None:
            options["kernels"] = kernels
        qlib.init(**options)
        _current = key
