"""Start QDesk from a packaged build: the same command line as `python main.py` in a checkout."""

import sys

from app.cli import main

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
