"""Risk limits from settings, a bridge config file or `KEY=VALUE` flags, each value checked with a one-line error."""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import fields, replace
from pathlib import Path

from core.trading.risk import RiskLimits


class LimitsError(ValueError):
    """A limit that cannot be used: the message names the file or flag, the field and what is wrong."""


def limits_from_mapping(data: Mapping[str, object], source: str, base: RiskLimits | None = None) -> RiskLimits:
    """`base` (the defaults) with every key of `data` applied; an unknown key or a bad value is refused."""
    kinds = {f.name: type(getattr(RiskLimits(), f.name)) for f in fields(RiskLimits)}
    changes: dict[str, object] = {}
    for key, value in data.items():
        kind = kinds.get(key)
        if kind is None:
            raise LimitsError(f"{source}: unknown risk limit {key!r} (known: {', '.join(kinds)})")
        changes[key] = _value(kind, value, f"{source}: {key}")
    return replace(base or RiskLimits(), **changes)  # type: ignore[arg-type]


def _value(kind: type, value: object, where: str) -> object:
    if kind is tuple:
        items = value.split(",") if isinstance(value, str) else value
        if not isinstance(items, (list, tuple)) or not all(isinstance(s, str) for s in items):
            raise LimitsError(f"{where}: expected a list of symbols")
        return tuple(s.strip() for s in items if s.strip())
    try:
        number = float(value) if kind is float else int(str(value))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise LimitsError(f"{where}: {value!r} is not a {'number' if kind is float else 'whole number'}") from None
    if isinstance(value, bool) or number < 0 or number != number:
        raise LimitsError(f"{where}: {value!r} must be a number of 0 or more")
    return number


def load_limits(path: Path) -> RiskLimits:
    """Limits from a JSON file holding an object of limit names to values (others keep their defaults)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise LimitsError(f"{path}: cannot read it ({exc.strerror})") from None
    except ValueError as exc:
        raise LimitsError(f"{path}: line {getattr(exc, 'lineno', '?')}: not valid JSON") from None
    if not isinstance(data, dict):
        raise LimitsError(f"{path}: expected a JSON object of limit names to values")
    return limits_from_mapping(data, str(path))


def limits_from_flags(pairs: Iterable[str], base: RiskLimits | None = None) -> RiskLimits:
    """`KEY=VALUE` pairs (the bridge's `--risk-limit`) applied over `base`."""
    data: dict[str, object] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep:
            raise LimitsError(f"--risk-limit {pair!r}: expected KEY=VALUE, e.g. max_daily_loss=20000")
        data[key.strip()] = value.strip()
    return limits_from_mapping(data, "--risk-limit", base)
