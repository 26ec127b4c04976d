"""Start QDesk Bridge from a packaged build: `qdesk bridge --tray` plus any arguments given.

`"QDesk Bridge.exe" --host 0.0.0.0 --tls-cert ... --start-on-login on` records exactly that launch
under the Windows Run key (the bridge command's own option); `off` removes it. On a Linux box with
no display (a server, a systemd service) the bridge runs headless instead of aborting in Qt.
"""

import sys
from pathlib import Path

from app.cli import main


def _bridge_args(argv: list[str]) -> list[str]:
    """The arguments for `qdesk bridge`, without what a login command repeats of the launch itself.

    The start-on-login entry replays the process's own argv (script path, `bridge`); in a packaged
    build the script is this file and the command is already `bridge --tray`.
    """
    args = list(argv)
    if args and args[0].endswith(".py") and Path(args[0]).resolve() == Path(__file__).resolve():
        args = args[1:]
    if args[:1] == ["bridge"]:
        args = args[1:]
    return args


def run(argv: list[str]) -> int:
    # Without a screen the bridge command itself says so and runs headless.
    return main(["bridge", "--tray", *_bridge_args(argv)])


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
