"""QDesk entry point: `python main.py` opens the desktop app; subcommands run headless jobs."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main())
