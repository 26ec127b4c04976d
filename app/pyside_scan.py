"""A faster form of the check PySide6 runs on every module imported after it (for its opt-in `__feature__`).

PySide6 records, for each module, whether the module's source mentions "PySide6": such a module is one
`from __feature__ import snake_case` could switch. It finds out with `inspect.getsource`, which goes through
linecache and tokenize, and it does so for all of the ~510 modules the window imports: about 0.15–0.2 s of a
two-second start. Reading the source file's bytes and searching them gives the same answer at a tenth of
the cost. Only PySide6's private helper is swapped, only when it is there in the expected form; otherwise
PySide6 keeps its own.
"""

from __future__ import annotations

import sys
from types import ModuleType

_MARK = b"PySide6"


def source_names_pyside(module: ModuleType) -> bool:
    """Whether `module`'s Python source mentions PySide6 (False for compiled or source-less modules), the
    verdict PySide6's own check gives."""
    try:
        spec = getattr(module, "__spec__", None)
        origin = getattr(spec, "origin", None) or getattr(module, "__file__", None)
    except Exception:  # a module object whose attribute lookup raises (torch.classes does): no source
        return False
    if not isinstance(origin, str) or not origin.endswith(".py"):
        return False  # extension modules, frozen and zipped ones: inspect finds no source for them either
    try:
        with open(origin, "rb") as source:
            return _MARK in source.read()
    except OSError:
        return False


def use_fast_pyside_scan() -> bool:
    """Swap PySide6's per-module source check for `source_names_pyside`; True when it was swapped."""
    feature = sys.modules.get("shibokensupport.feature")
    check = getattr(feature, "_mod_uses_pyside", None)
    if feature is None or not callable(check) or getattr(check, "__name__", "") != "_mod_uses_pyside":
        return False
    feature._mod_uses_pyside = source_names_pyside  # type: ignore[attr-defined]
    return True
