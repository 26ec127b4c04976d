"""Entry of `briefcase ... --test`: run the packaged smoke tests and print briefcase's exit sentinel."""

import os
import sys
import tempfile
from pathlib import Path

import pytest

if __name__ == "__main__":
    # The parse pool's spawned workers start this app's executable again, which runs this module in a
    # test run: they run multiprocessing's own bootstrap, not the tests.
    from qdesk.workers import is_worker_command, run_worker

    if is_worker_command(sys.argv[1:]):
        sys.exit(run_worker(sys.argv[1:]))
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    # Never touch the tester's own QDesk settings or data.
    os.environ["QDESK_CONFIG_DIR"] = tempfile.mkdtemp(prefix="qdesk-smoke-config-")
    os.environ["QDESK_DATA_DIR"] = tempfile.mkdtemp(prefix="qdesk-smoke-data-")
    os.environ["QDESK_PACKAGED_APP"] = Path(__file__).stem
    args = sys.argv[1:] or [str(Path(__file__).parent), "-q", "-p", "no:cacheprovider"]
    returncode = pytest.main(args)
    print(f">>>>>>>>>> EXIT {returncode} <<<<<<<<<<")
