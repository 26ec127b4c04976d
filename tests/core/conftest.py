"""Fixtures for these tests come from tests/realdata.py."""

from tests.realdata import cn_data, store  # noqa: F401  (pytest fixtures)
