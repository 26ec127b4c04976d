"""Build a strategy by name (topk, threshold) or from a user's .py file that subclasses Strategy."""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path
from typing import Any

from core.strategy.base import Strategy
from core.strategy.threshold import ThresholdStrategy
from core.strategy.topk_dropout import TopkDropoutStrategy

BUILTIN: dict[str, type[Strategy]] = {"topk": TopkDropoutStrategy, "threshold": ThresholdStrategy}


class StrategyLoadError(ValueError):
    """A strategy name, file or parameter that cannot be used; the message is one line."""


def load_strategy(name_or_path: str, params: dict[str, Any] | None = None) -> Strategy:
    """`topk`, `threshold`, or `path/to/file.py` (its `STRATEGY` class, else its one Strategy subclass)."""
    params = params or {}
    if name_or_path in BUILTIN:
        cls = BUILTIN[name_or_path]
    elif name_or_path.endswith(".py"):
        cls = _class_from_file(Path(name_or_path))
    else:
        raise StrategyLoadError(f"unknown strategy {name_or_path!r} (expected {', '.join(BUILTIN)} or a .py file)")
    accepted = inspect.signature(cls.__init__).parameters
    if cls.__init__ is object.__init__:
        params = {}
    elif not any(p.kind is p.VAR_KEYWORD for p in accepted.values()):
        params = {k: v for k, v in params.items() if k in accepted}
    try:
        return cls(**params)
    except (TypeError, ValueError) as exc:
        raise StrategyLoadError(f"strategy {name_or_path}: {exc}") from None


def _class_from_file(path: Path) -> type[Strategy]:
    if not path.is_file():
        raise StrategyLoadError(f"{path}: strategy file not found")
    module_name = f"qdesk_user_strategy_{abs(hash(str(path.resolve())))}"
    spec = importlib.util.spec_from_file_location(module_name, path)
    if spec is None or spec.loader is None:
        raise StrategyLoadError(f"{path}: not a Python module")
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module  # dataclasses and pickling look classes up by module name
    try:
        spec.loader.exec_module(module)
    except Exception as exc:
        del sys.modules[module_name]
        tb = exc.__traceback__
        line = ""
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == str(path):
                line = f":{tb.tb_lineno}"
            tb = tb.tb_next
        if isinstance(exc, SyntaxError) and exc.lineno:
            line = f":{exc.lineno}"
        raise StrategyLoadError(f"{path}{line}: {type(exc).__name__}: {exc}") from None
    chosen = getattr(module, "STRATEGY", None)
    if chosen is None:
        found = [
            obj
            for obj in vars(module).values()
            if inspect.isclass(obj)
            and issubclass(obj, Strategy)
            and obj.__module__ == module_name
            and not inspect.isabstract(obj)
        ]
        if len(found) != 1:
            raise StrategyLoadError(
                f"{path}: expected one Strategy subclass or a STRATEGY = ... line, found {len(found)}"
            )
        chosen = found[0]
    if not (inspect.isclass(chosen) and issubclass(chosen, Strategy)):
        raise StrategyLoadError(f"{path}: STRATEGY is not a Strategy subclass")
    return chosen
