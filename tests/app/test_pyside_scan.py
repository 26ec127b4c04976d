"""The faster PySide6 module check gives PySide6's own verdict for every module the window loads, and is only
swapped in where PySide6 has the helper it replaces."""

from __future__ import annotations

import inspect
import sys
import types

import pytest
from PySide6.QtWidgets import QApplication

import app.composition  # noqa: F401  (the window's modules: the ones the check runs over at start)
from app.pyside_scan import source_names_pyside, use_fast_pyside_scan


class _RaisingNamespace(types.ModuleType):
    """A module object whose every unknown attribute raises, as torch.classes' namespace does."""

    def __getattr__(self, name: str) -> object:
        raise RuntimeError(f"no class {name!r}")


def _pyside_verdict(module: types.ModuleType) -> bool | None:
    """PySide6's own check: the module's source, found by inspect, mentions PySide6; None where it raises."""
    try:
        return "PySide6" in inspect.getsource(module)
    except (TypeError, OSError, SyntaxError):
        return False
    except Exception:
        return None


def test_every_loaded_module_gets_pysides_own_verdict(qapp: QApplication) -> None:
    modules = [m for m in list(sys.modules.values()) if isinstance(m, types.ModuleType)]
    assert len(modules) > 400
    verdicts = [(m, _pyside_verdict(m)) for m in modules]
    differing = [m.__name__ for m, verdict in verdicts if verdict is not None and source_names_pyside(m) != verdict]
    assert differing == []
    # Where PySide6's own check would raise, this one says "no source" instead.
    assert not any(source_names_pyside(m) for m, verdict in verdicts if verdict is None)
    assert _pyside_verdict(_RaisingNamespace("odd")) is None and not source_names_pyside(_RaisingNamespace("odd"))
    # Both answers occur: Qt modules of the app say yes, pure core ones and compiled ones say no.
    assert source_names_pyside(sys.modules["widgets.main_window"])
    assert not source_names_pyside(sys.modules["core.domain.orders"])
    assert not source_names_pyside(sys.modules["PySide6.QtCore"])


def test_the_check_is_swapped_only_where_pyside_has_its_helper(monkeypatch: pytest.MonkeyPatch) -> None:
    feature = types.ModuleType("shibokensupport.feature")

    def _mod_uses_pyside(module: types.ModuleType) -> bool:
        return True

    feature._mod_uses_pyside = _mod_uses_pyside  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "shibokensupport.feature", feature)
    assert use_fast_pyside_scan()
    assert feature._mod_uses_pyside is source_names_pyside  # type: ignore[attr-defined]
    assert not use_fast_pyside_scan()  # already swapped

    monkeypatch.setitem(sys.modules, "shibokensupport.feature", types.ModuleType("shibokensupport.feature"))
    assert not use_fast_pyside_scan()  # another PySide6 without the helper keeps its own check
    monkeypatch.delitem(sys.modules, "shibokensupport.feature")
    assert not use_fast_pyside_scan()
