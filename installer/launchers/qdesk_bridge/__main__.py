"""Start QDesk Bridge from a packaged build: `qdesk bridge --tray` plus any arguments given.

`--start-on-login on|off` (Windows) adds or removes the bridge from the programs started at login
and exits; everything else goes to `qdesk bridge`.
"""

import sys

from app.cli import main
from qdesk_bridge.autostart import AutostartError, set_start_on_login


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
    return main(["bridge", "--tray", *argv])


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
