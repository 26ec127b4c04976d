"""System collector: CPU, memory, the data folder's disk, and GPU/MPS memory when torch is already in use."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

from core.monitor.samples import Value

log = logging.getLogger(__name__)


class SystemCollector:
    """Reads psutil for the machine and this process; never imports torch just to look at a GPU."""

    def __init__(self, data_dir: Path) -> None:
        import psutil  # lazily: the headless CLI never needs it

        self._psutil = psutil
        self._data_dir = data_dir
        self._process = psutil.Process()
        # cpu_percent measures since the previous call; the first one only sets the starting point.
        psutil.cpu_percent(interval=None)
        self._process.cpu_percent(interval=None)

    def collect(self) -> dict[str, Value]:
        ps = self._psutil
        memory = ps.virtual_memory()
        values: dict[str, Value] = {
            "system.cpu_percent": ps.cpu_percent(interval=None),
            "system.process_cpu_percent": self._process.cpu_percent(interval=None),
            "system.memory_percent": memory.percent,
            "system.memory_used_bytes": memory.total - memory.available,
            "system.process_rss_bytes": self._process.memory_info().rss,
        }
        values.update(self._disk())
        values.update(gpu_memory())
        return values

    def _disk(self) -> dict[str, Value]:
        folder = self._data_dir
        while not folder.exists() and folder != folder.parent:
            folder = folder.parent  # a data folder not created yet lives on its parent's disk
        try:
            usage = self._psutil.disk_usage(str(folder))
        except OSError:
            return {"system.disk_free_bytes": None, "system.disk_free_percent": None}
        return {
            "system.disk_free_bytes": usage.free,
            "system.disk_free_percent": 100.0 * usage.free / usage.total if usage.total else None,
        }


def gpu_memory() -> dict[str, Value]:
    """Memory held by torch on CUDA or MPS, if torch is loaded and that device is in use; else n/a."""
    torch = sys.modules.get("torch")
    none: dict[str, Value] = {"system.gpu_memory_bytes": None, "system.gpu_device": None}
    if torch is None:
        return none
    try:
        cuda = getattr(torch, "cuda", None)
        # is_initialized: only a process already using CUDA has memory to report; asking must not create
        # a CUDA context (hundreds of MB) in a process that never trains on the GPU.
        if cuda is not None and cuda.is_available() and cuda.is_initialized():
            device = cuda.current_device()
            return {
                "system.gpu_memory_bytes": int(cuda.memory_reserved(device)),
                "system.gpu_device": str(cuda.get_device_name(device)),
            }
        mps_backend = getattr(getattr(torch, "backends", None), "mps", None)
        mps = getattr(torch, "mps", None)
        if mps_backend is not None and mps is not None and mps_backend.is_available():
            return {"system.gpu_memory_bytes": int(mps.driver_allocated_memory()), "system.gpu_device": "mps"}
    except Exception:  # noqa: BLE001 (a broken driver must not stop the other metrics)
        log.debug("GPU memory unavailable", exc_info=True)
    return none
