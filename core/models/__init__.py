"""The model zoo behind one interface: LightGBM, DoubleEnsemble, PyTorch Linear, MLP, GRU, LSTM, ALSTM, Transformer."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from core.models.base import Model

MODEL_NAMES = ("lightgbm", "double_ensemble", "linear", "mlp", "gru", "lstm", "alstm", "transformer")
TREE_MODELS = ("lightgbm", "double_ensemble")  # boosted on CPU threads; saved as JSON; rounds, not epochs
_TORCH = {
    "linear": "LinearModel",
    "mlp": "MLPModel",
    "gru": "GRUModel",
    "lstm": "LSTMModel",
    "alstm": "ALSTMModel",
    "transformer": "TransformerModel",
}


def model_class(name: str) -> type[Model]:
    """The class for a model name (imports torch or lightgbm only now)."""
    key = name.strip().lower()
    if key == "lightgbm":
        from core.models.lightgbm_model import LightGBMModel

        return LightGBMModel
    if key == "double_ensemble":
        from core.models.double_ensemble import DoubleEnsembleModel

        return DoubleEnsembleModel
    if key in _TORCH:
        from core.models import torch_model

        return getattr(torch_model, _TORCH[key])
    raise ValueError(f"unknown model {name!r}; choose one of {', '.join(MODEL_NAMES)}")


def create_model(
    name: str, params: Mapping[str, Any] | None = None, seed: int = 0, device: str = "auto", amp: str = "auto"
) -> Model:
    """A fresh model; `device`/`amp` apply to the PyTorch models (LightGBM trains on CPU threads)."""
    cls = model_class(name)
    if cls.name in TREE_MODELS:
        return cls(params, seed=seed)
    from core.models.torch_model import TorchModel  # already loaded by model_class for these names

    if not issubclass(cls, TorchModel):
        raise TypeError(f"{name}: expected a PyTorch model class, got {cls.__name__}")
    return cls(params, seed=seed, device=device, amp=amp)


def load_model(path: Path, device: str = "auto") -> Model:
    """Read any model file written by `Model.save` (LightGBM JSON or PyTorch)."""
    path = Path(path)
    with path.open("rb") as fh:
        head = fh.read(1)
    if head == b"{":
        name = json.loads(path.read_text()).get("name", "")
        if name not in TREE_MODELS:
            raise ValueError(f"{path}: not a QDesk model file")
        return model_class(name).load(path)
    from core.models.torch_model import TorchModel

    return TorchModel.load(path, device=device)


def default_params(name: str) -> dict[str, Any]:
    return model_class(name).default_params()
