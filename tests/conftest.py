"""Suite-wide setup: Qt renders offscreen, so the tests run on machines without a display."""

import os
import tempfile

# Must happen before anything imports Qt; setdefault lets a developer opt into a real display.
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
# Never read or write the developer's own QDesk settings (data folder, language) from tests.
os.environ["QDESK_CONFIG_DIR"] = tempfile.mkdtemp(prefix="qdesk-test-config-")

import gc  # noqa: E402

import pytest  # noqa: E402

from tests.realdata import cn_data, store  # noqa: E402,F401  (real-data fixtures for every test folder)

# Fixtures shared across folders; registered here so test modules need not import (and shadow) them.
pytest_plugins = ("tests.core.research.slices", "tests.core.research.ray_head")


@pytest.fixture(autouse=True)
def _collect_cycles_on_the_main_thread():
    """As in the app (app/gc_guard.py): cycles holding Qt objects die on the main thread, never a worker's."""
    gc.disable()
    yield
    gc.collect()
    gc.enable()


@pytest.fixture(autouse=True)
def _root_logger_as_it_was():
    """A test that runs a command in-process (its logging set-up included) leaves no handler behind: one left
    writing to a stream pytest has closed turns every later warning into a 'Logging error' in other tests."""
    import logging

    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in [h for h in root.handlers if h not in handlers]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(level)
