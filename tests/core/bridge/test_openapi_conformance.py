"""Schemathesis with every check over a real loopback bridge: positive and negative data, authenticated."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.bridge.sources.history import StoreHistory
from core.bridge.sources.sim import SimSource
from core.data.importer import import_one
from core.storage import MarketStore
from tests.core.bridge.conftest import Running, serve

# Bounded so the run takes well under two minutes on a two-core machine; the seed keeps it repeatable.
EXAMPLES_PER_OPERATION = 40
SEED = 15


@pytest.fixture(scope="module")
def bridge(cn_data: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Running]:
    root = tmp_path_factory.mktemp("conformance")
    store = MarketStore.open(root / "market.sqlite")
    assert import_one(store, cn_data / "daily" / "600000.SH.csv").ok
    store.close()
    with serve(SimSource(50, interval=1.0, history=StoreHistory(root / "market.sqlite")), root / "cfg") as running:
        yield running


def test_every_operation_conforms_to_the_document_under_all_checks(bridge: Running, tmp_path: Path) -> None:
    # The command line tool, as a user would run it: `--checks all` with positive and negative data.
    command = [
        sys.executable,
        "-c",
        "import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())",
        "run",
        f"{bridge.url}/openapi.json",
        "--checks",
        "all",
        "--mode",
        "all",
        "--phases",
        "examples,coverage,fuzzing,stateful",
        "--max-examples",
        str(EXAMPLES_PER_OPERATION),
        "--seed",
        str(SEED),
        "--generation-database",
        "none",
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--header",
        f"Authorization: Bearer {bridge.token}",
        "--no-color",
    ]
    done = subprocess.run(command, capture_output=True, text=True, timeout=300, cwd=tmp_path, check=False)
    report = done.stdout[-6000:] + done.stderr[-2000:]
    assert done.returncode == 0, report
    assert "No issues found" in done.stdout or "passed" in done.stdout, report
