"""The packaging tools (briefcase, cookiecutter) live in their own venv; tests needing them skip elsewhere.

installer/check_deb.py runs these tests in that venv with QDESK_PACKAGING_CHECK=1, where a missing
tool or build prerequisite is a failure, not a skip.
"""

from __future__ import annotations

import os
from types import ModuleType

import pytest

CHECK_ENV = "QDESK_PACKAGING_CHECK"


def strict() -> bool:
    """True inside the packaging check, where every packaging test must run."""
    return os.environ.get(CHECK_ENV) == "1"


def require_module(name: str) -> ModuleType:
    """Import a packaging tool; skip without it, except in the packaging check."""
    if strict():
        return __import__(name, fromlist=["_"])
    return pytest.importorskip(name, reason=f"{name} is in installer/packaging.lock (installer/check_deb.py)")


def require(condition: bool, why: str) -> None:
    """Skip when a build prerequisite is missing, except in the packaging check, where it fails."""
    if condition:
        return
    if strict():
        pytest.fail(f"packaging check: {why}")
    pytest.skip(why)
