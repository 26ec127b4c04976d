"""Device choice: CUDA > MPS > CPU, explicit requests checked against what exists, AMP per device."""

from __future__ import annotations

import pytest

from core.models import create_model
from core.models.device import DeviceChoice, DeviceUnavailable, select_device

NONE = {"cuda": False, "cuda_count": 0, "cuda_bf16": False, "mps": False}


def test_auto_prefers_cuda_then_mps_then_cpu() -> None:
    assert select_device("auto", **NONE) == DeviceChoice("cpu", None)
    assert select_device("auto", **{**NONE, "mps": True}) == DeviceChoice("mps", None)
    both = {**NONE, "cuda": True, "cuda_count": 2, "cuda_bf16": True, "mps": True}
    assert select_device("auto", **both) == DeviceChoice("cuda:0", "bf16")
    assert select_device("cuda:1", **both).device == "cuda:1"
    assert select_device("cuda", "auto", **{**both, "cuda_bf16": False}).amp == "fp16"
    assert select_device("cuda", "off", **both).amp is None


def test_unavailable_devices_are_refused_clearly() -> None:
    with pytest.raises(DeviceUnavailable, match="CUDA is not available"):
        select_device("cuda", **NONE)
    with pytest.raises(DeviceUnavailable, match="MPS is not available"):
        select_device("mps", **NONE)
    with pytest.raises(DeviceUnavailable, match="has 1 CUDA device"):
        select_device("cuda:3", **{**NONE, "cuda": True, "cuda_count": 1})
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        select_device("tpu", **NONE)
    with pytest.raises(ValueError, match="mixed precision"):
        select_device("cpu", "int8", **NONE)


def test_mps_amp_only_on_request() -> None:
    mps = {**NONE, "mps": True}
    assert select_device("mps", "fp16", **mps) == DeviceChoice("mps", "fp16")
    assert select_device("mps", "auto", **mps).amp is None


def test_this_machine_resolves_and_models_refuse_absent_devices() -> None:
    import torch

    choice = select_device("auto")
    expected = "cuda" if torch.cuda.is_available() else "mps" if torch.backends.mps.is_available() else "cpu"
    assert choice.kind == expected
    if not torch.cuda.is_available():
        from core.models.torch_model import TorchModel

        model = create_model("gru", device="cuda")
        assert isinstance(model, TorchModel)
        with pytest.raises(DeviceUnavailable):
            select_device(model.device_request)
