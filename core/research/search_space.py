"""Hyper-parameter search spaces: a default per model, a YAML/JSON override file, and sampling for a trial."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import optuna


@dataclass(frozen=True, slots=True)
class Range:
    """A numeric range searched by the sampler; `log` samples evenly in log space."""

    low: float
    high: float
    integer: bool = False
    log: bool = False


@dataclass(frozen=True, slots=True)
class Choice:
    """One of a few values."""

    values: tuple[Any, ...]


Dimension = Range | Choice
# A space maps a parameter to what is searched; a plain value fixes the parameter for every trial.
Space = dict[str, Dimension | Any]

_LIGHTGBM: Space = {
    "learning_rate": Range(0.01, 0.3, log=True),
    "num_leaves": Range(16, 256, integer=True, log=True),
    "max_depth": Range(4, 10, integer=True),
    "colsample_bytree": Range(0.5, 1.0),
    "subsample": Range(0.5, 1.0),
    "lambda_l1": Range(1e-3, 1000.0, log=True),
    "lambda_l2": Range(1e-3, 1000.0, log=True),
    "min_data_in_leaf": Range(10, 500, integer=True, log=True),
}
_TORCH: Space = {
    "lr": Range(1e-4, 1e-2, log=True),
    "weight_decay": Range(1e-7, 1e-2, log=True),
    "batch_size": Choice((256, 512, 800, 1024, 2048)),
}
_RNN: Space = {
    "hidden_size": Choice((32, 64, 128)),
    "num_layers": Range(1, 3, integer=True),
    "dropout": Range(0.0, 0.5),
}
_DEFAULTS: dict[str, Space] = {
    "lightgbm": _LIGHTGBM,
    "linear": _TORCH,
    "mlp": {
        **_TORCH,
        "hidden_size": Choice((64, 128, 256, 512)),
        "num_layers": Range(1, 4, integer=True),
        "dropout": Range(0.0, 0.5),
    },
    "gru": {**_TORCH, **_RNN},
    "lstm": {**_TORCH, **_RNN},
    "alstm": {**_TORCH, **_RNN},
    # Every d_model here divides by every nhead.
    "transformer": {
        **_TORCH,
        "d_model": Choice((32, 64, 128)),
        "nhead": Choice((1, 2, 4)),
        "num_layers": Range(1, 3, integer=True),
        "dropout": Range(0.0, 0.3),
    },
}


def default_space(model: str) -> Space:
    """The space searched for `model` when no file is given (a copy)."""
    from core.models import MODEL_NAMES

    key = model.strip().lower()
    if key not in _DEFAULTS:
        raise ValueError(f"unknown model {model!r}; choose one of {', '.join(MODEL_NAMES)}")
    return dict(_DEFAULTS[key])


def load_space(path: Path, model: str) -> Space:
    """Read a space file (YAML or JSON) for `model`; ValueError names the file and the bad entry.

    Each key is a hyper-parameter: `{low: X, high: Y}` (with optional `log: true`, `type: int`) searches a
    range, a list searches its values, a plain value fixes the parameter for every trial.
    """
    import yaml

    path = Path(path)
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ValueError(f"{path}: cannot read the space file ({exc.strerror})") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        raise ValueError(f"{path}:{where} not valid YAML/JSON") from None
    if not isinstance(raw, Mapping):
        raise ValueError(f"{path}: expected a mapping of parameter names to ranges, lists or values")
    space: Space = {str(k): _dimension(path, str(k), v) for k, v in raw.items()}
    check_space(space, model, source=str(path))
    return space


def check_space(space: Mapping[str, Any], model: str, source: str = "space") -> None:
    """Refuse parameters the model does not have, and a space with nothing to search."""
    from core.models import default_params

    known = default_params(model)
    unknown = sorted(set(space) - set(known))
    if unknown:
        raise ValueError(
            f"{source}: unknown parameter(s) for {model}: {', '.join(unknown)}; known: {', '.join(sorted(known))}"
        )
    if not any(isinstance(v, (Range, Choice)) for v in space.values()):
        raise ValueError(f"{source}: the space is empty; give at least one range or list of values to search")


def _dimension(path: Path, name: str, value: Any) -> Dimension | Any:
    if isinstance(value, list):
        if not value:
            raise ValueError(f"{path}: {name}: an empty list of values")
        return Choice(tuple(value))
    if not isinstance(value, Mapping):
        return value  # fixed for every trial
    extra = sorted(set(value) - {"low", "high", "log", "type"})
    if extra or "low" not in value or "high" not in value:
        raise ValueError(f"{path}: {name}: expected {{low, high[, log][, type: int|float]}}, got {dict(value)}")
    kind = str(value.get("type", "float"))
    if kind not in ("int", "float"):
        raise ValueError(f"{path}: {name}: type must be int or float, got {kind!r}")
    try:
        low, high = float(value["low"]), float(value["high"])
    except (TypeError, ValueError):
        raise ValueError(f"{path}: {name}: low and high must be numbers") from None
    log = bool(value.get("log", False))
    if low > high:
        raise ValueError(f"{path}: {name}: low {low:g} is above high {high:g}")
    if log and low <= 0:
        raise ValueError(f"{path}: {name}: a log range needs low > 0")
    return Range(low, high, integer=kind == "int", log=log)


def suggest(trial: optuna.Trial, space: Mapping[str, Any]) -> dict[str, Any]:
    """The trial's parameters: sampled for ranges and lists, as given for fixed values."""
    out: dict[str, Any] = {}
    for name, dim in space.items():
        if isinstance(dim, Range) and dim.integer:
            out[name] = trial.suggest_int(name, int(dim.low), int(dim.high), log=dim.log)
        elif isinstance(dim, Range):
            out[name] = trial.suggest_float(name, dim.low, dim.high, log=dim.log)
        elif isinstance(dim, Choice):
            out[name] = trial.suggest_categorical(name, list(dim.values))
        else:
            out[name] = dim
    return out


def space_to_dict(space: Mapping[str, Any]) -> dict[str, Any]:
    """JSON-ready form, stored with the study so a resume searches the same space."""
    out: dict[str, Any] = {}
    for name, dim in space.items():
        if isinstance(dim, Range):
            out[name] = {"low": dim.low, "high": dim.high, "log": dim.log, "type": "int" if dim.integer else "float"}
        elif isinstance(dim, Choice):
            out[name] = list(dim.values)
        else:
            out[name] = dim
    return out
