"""The factor library: named expressions in DATA_DIR/factors.json, and factor files datasets add as features.

`--dataset alpha158+library` adds every factor of the library; `alpha158+FILE` those of a file, either a
library file (JSON) or text with one `NAME: EXPR` per line (`#` starts a comment). The expressions are
stored canonically, so the dataset's cache key changes when a factor's meaning does, not its spelling.
"""

from __future__ import annotations

import json
import os
import re
import tempfile
from pathlib import Path

from core.datasets.config import DATASETS
from core.research.factors.expression import ExpressionError, normalise

LIBRARY_FILE = "factors.json"
_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,63}")


class UnknownFactor(KeyError):
    def __str__(self) -> str:
        return str(self.args[0])


def library_path(data_dir: Path) -> Path:
    return Path(data_dir) / LIBRARY_FILE


def check_name(name: str) -> str:
    if not _NAME.fullmatch(name):
        raise ValueError(f"bad factor name {name!r}: letters, digits and _ (not first), at most 64")
    return name


def load_factors(path: Path) -> dict[str, str]:
    """Name -> canonical expression from a library (JSON) or `NAME: EXPR` text file; ValueError names the line."""
    path = Path(path)
    if not path.exists():
        raise ValueError(f"factor file {path} not found")
    text = path.read_text(encoding="utf-8")
    if path.suffix.lower() == ".json":
        try:
            entries = json.loads(text).get("factors", {}) if text.strip() else {}
        except (json.JSONDecodeError, AttributeError) as exc:
            raise ValueError(f"{path}: not a factor library ({exc})") from None
        return {check_name(str(k)): _checked(path, str(k), str(v)) for k, v in dict(entries).items()}
    factors: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        name, sep, expression = line.partition(":")
        where = f"{path}:{number}"
        if not sep:
            raise ValueError(f"{where}: expected NAME: EXPR")
        try:
            name = check_name(name.strip())
        except ValueError as exc:
            raise ValueError(f"{where}: {exc}") from None
        if name in factors:
            raise ValueError(f"{where}: factor {name} is defined twice")
        factors[name] = _checked(Path(where), name, expression.strip())
    return factors


def _checked(where: Path, name: str, expression: str) -> str:
    try:
        return normalise(expression)
    except ExpressionError as exc:
        raise ValueError(f"{where}: factor {name}: {exc}") from None


def load_library(data_dir: Path) -> dict[str, str]:
    path = library_path(data_dir)
    return load_factors(path) if path.exists() else {}


def save_factor(data_dir: Path, name: str, expression: str, replace: bool = False) -> str:
    """Store `expression` under `name`; returns its canonical text. A taken name needs `replace`."""
    check_name(name)
    text = normalise(expression)  # ExpressionError names position and operator
    factors = load_library(data_dir)
    if name in factors and not replace and factors[name] != text:
        raise ValueError(f"factor {name} exists ({factors[name]}); remove it first or save with --replace")
    factors[name] = text
    _write(library_path(data_dir), factors)
    return text


def remove_factor(data_dir: Path, name: str) -> str:
    factors = load_library(data_dir)
    if name not in factors:
        raise UnknownFactor(f"no factor {name!r} in {library_path(data_dir)}")
    expression = factors.pop(name)
    _write(library_path(data_dir), factors)
    return expression


def _write(path: Path, factors: dict[str, str]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".factors-", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({"version": 1, "factors": factors}, out, indent=1, ensure_ascii=False)
    os.replace(tmp, path)  # a crash leaves the old library, never half of a new one


def dataset_spec(text: str, data_dir: Path | None) -> tuple[str, tuple[tuple[str, str], ...]]:
    """`alpha158`, `alpha158+library` or `alpha158+FILE` as (kind, ((name, expression), ...))."""
    kind, plus, source = text.partition("+")
    kind = kind.strip()
    if kind not in DATASETS:
        raise ValueError(
            f"--dataset: unknown dataset {kind!r}; choose one of {', '.join(DATASETS)} (+library or +FILE)"
        )
    if not plus:
        return kind, ()
    source = source.strip()
    if not source:
        raise ValueError("--dataset: nothing after '+'; write alpha158+library or alpha158+FILE")
    if source == "library":
        if data_dir is None:
            raise ValueError("--dataset: +library needs the data folder")
        factors = load_library(data_dir)
        if not factors:
            raise ValueError(
                f"--dataset: the factor library {library_path(data_dir)} is empty; add one with factor save"
            )
    else:
        try:
            factors = load_factors(Path(source).expanduser())
        except ValueError as exc:
            raise ValueError(f"--dataset: {exc}") from None
        if not factors:
            raise ValueError(f"--dataset: no factors in {source}")
    return kind, tuple(factors.items())
