"""The training command and its hyper-parameter parsing; the dataset configuration lives in core.datasets."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.datasets.config import DatasetConfig


def parse_params(items: list[str]) -> dict[str, Any]:
    """KEY=VALUE pairs (hyper-parameters); values are JSON where they parse (numbers, true/false), else text."""
    out: dict[str, Any] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise ValueError(f"bad parameter {item!r}: expected KEY=VALUE")
        try:
            out[key.strip()] = json.loads(value.strip())
        except json.JSONDecodeError:
            out[key.strip()] = value.strip()
    return out


@dataclass(frozen=True)
class StartTraining:
    """Command: train `model` on `dataset` with hyper-parameter overrides `params` on `device`."""

    model: str
    dataset: DatasetConfig
    params: Mapping[str, Any] = field(default_factory=dict)
    device: str = "auto"  # auto | cpu | cuda | cuda:N | mps
    amp: str = "auto"  # auto | off | fp16 | bf16
    seed: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "dataset": self.dataset.to_dict(),
            "params": dict(self.params),
            "device": self.device,
            "amp": self.amp,
            "seed": self.seed,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StartTraining:
        return cls(
            model=data["model"],
            dataset=DatasetConfig.from_dict(data["dataset"]),
            params=dict(data.get("params", {})),
            device=data.get("device", "auto"),
            amp=data.get("amp", "auto"),
            seed=int(data.get("seed", 0)),
        )
