"""Start QDesk from a packaged build: the same command line as `python main.py` in a checkout."""

import sys

from qdesk.workers import is_worker_command, run_worker

if __name__ == "__main__":
    # A packaged build's interpreter is its launcher, so multiprocessing's spawned workers start it again.
    if is_worker_command(sys.argv[1:]):
        sys.exit(run_worker(sys.argv[1:]))
    from app.cli import main

    sys.exit(main(sys.argv[1:]))
