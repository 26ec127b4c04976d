"""Start QDesk Bridge from a packaged build: `qdesk bridge --tray` plus any arguments given.

`--start-on-login on|off` (Windows) adds or removes the bridge from the programs started at login
and exits; everything else goes to `qdesk bridge`.
"""

import sys
from pathlib import Path

from app.cli import main
from qdesk_bridge.autostart import AutostartError, set_start_on_login


def _bridge_args(argv: list[str]) -> list[str]:
    """The arguments for `qdesk bridge`, without what a login command repeats of the launch itself.

    The tray's start-on-login entry replays the process's own argv (script path, `bridge`); in a
    packaged build the script is this file and the command is already `bridge --tray`.
    """
    args = list(argv)
    if args and args[0].endswith(".py") and Path(args[0]).resolve() == Path(__file__).resolve():
        args = args[1:]
    if args[:1] == ["bridge"]:
        args = args[1:]
    return args


def run(argv: list[str]) -> int:
    if argv[:1] == ["--start-on-login"]:
        if len(argv) != 2 or argv[1] not in ("on", "off"):
            print("qdesk-bridge: error: use --start-on-login on|off", file=sys.stderr)
            return 2
        try:
            set_start_on_login(argv[1] == "on", [sys.executable])
        except AutostartError as exc:
            print(f"qdesk-bridge: error: {exc}", file=sys.stderr)
            return 1
        return 0
    return main(["bridge", "--tray", *_bridge_args(argv)])


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
