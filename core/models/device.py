"""Device choice for the PyTorch models: CUDA, then Apple MPS, then CPU, overridable; mixed precision per device."""

from __future__ import annotations

from dataclasses import dataclass

DEVICE_CHOICES = ("auto", "cpu", "cuda", "mps")
AMP_CHOICES = ("auto", "off", "fp16", "bf16")


class DeviceUnavailable(ValueError):
    """The requested device does not exist on this machine."""


@dataclass(frozen=True, slots=True)
class DeviceChoice:
    """Where to train (`torch.device` string) and which autocast dtype to use (None: full fp32)."""

    device: str
    amp: str | None  # 'fp16' | 'bf16' | None

    @property
    def kind(self) -> str:
        return self.device.split(":")[0]


def _available() -> tuple[bool, int, bool, bool]:
    import torch

    cuda = torch.cuda.is_available()
    count = torch.cuda.device_count() if cuda else 0
    bf16 = bool(cuda and torch.cuda.is_bf16_supported())
    mps = bool(getattr(torch.backends, "mps", None) and torch.backends.mps.is_available())
    return cuda, count, bf16, mps


def select_device(
    requested: str = "auto",
    amp: str = "auto",
    *,
    cuda: bool | None = None,
    cuda_count: int | None = None,
    cuda_bf16: bool | None = None,
    mps: bool | None = None,
) -> DeviceChoice:
    """Resolve `requested` (auto|cpu|cuda|cuda:N|mps) against what exists; availability can be given for tests.

    Mixed precision: on CUDA `auto` is bf16 where supported, else fp16 (with a grad scaler); on MPS and CPU
    `auto` means fp32, because autocast there is slower or unsupported for recurrent layers.
    """
    if cuda is None or mps is None or cuda_count is None or cuda_bf16 is None:
        found = _available()
        cuda = found[0] if cuda is None else cuda
        cuda_count = found[1] if cuda_count is None else cuda_count
        cuda_bf16 = found[2] if cuda_bf16 is None else cuda_bf16
        mps = found[3] if mps is None else mps
    req = (requested or "auto").strip().lower()
    if amp not in AMP_CHOICES:
        raise ValueError(f"unknown mixed precision {amp!r}; choose one of {', '.join(AMP_CHOICES)}")
    if req == "auto":
        req = "cuda" if cuda else "mps" if mps else "cpu"
    kind, _, index = req.partition(":")
    if kind not in DEVICE_CHOICES[1:] or (index and (kind != "cuda" or not index.isdigit())):
        raise ValueError(f"unknown device {requested!r}; choose auto, cpu, cuda, cuda:N or mps")
    if kind == "cuda":
        if not cuda:
            raise DeviceUnavailable(f"device {requested!r} requested but CUDA is not available on this machine")
        if index and int(index) >= cuda_count:
            raise DeviceUnavailable(f"device {requested!r} requested but this machine has {cuda_count} CUDA device(s)")
        device = f"cuda:{index or 0}"
        if amp == "auto":
            return DeviceChoice(device, "bf16" if cuda_bf16 else "fp16")
        if amp == "bf16" and not cuda_bf16:
            raise DeviceUnavailable(f"bf16 mixed precision is not supported on {device}")
        return DeviceChoice(device, None if amp == "off" else amp)
    if kind == "mps" and not mps:
        raise DeviceUnavailable(f"device {requested!r} requested but Apple MPS is not available on this machine")
    if kind == "cpu":
        return DeviceChoice("cpu", "bf16" if amp == "bf16" else None)
    return DeviceChoice("mps", "fp16" if amp == "fp16" else None)
