"""Start QDesk Bridge from a packaged build: `qdesk bridge --tray` plus any arguments given.

`"QDesk Bridge.exe" --host 0.0.0.0 --tls-cert ... --start-on-login on` records exactly that launch
under the Windows Run key (the bridge command's own option); `off` removes it. On a Linux box with
no display (a server, a systemd service) the bridge runs headless instead of aborting in Qt.
"""

import os
import sys
from collections.abc import Mapping
from pathlib import Path

from app.cli import main

NO_DISPLAY_NOTICE = (
    "qdesk-bridge: no display (DISPLAY and WAYLAND_DISPLAY are unset): running headless, without the tray icon"
)


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


def has_display(platform: str, environ: Mapping[str, str]) -> bool:
    """Whether a tray icon can be shown: always on Windows and macOS; on Linux only with X11 or Wayland."""
    if not platform.startswith("linux"):
        return True
    if environ.get("QT_QPA_PLATFORM", "").startswith(("offscreen", "minimal")):
        return False  # Qt would start, but there is no tray to put an icon in
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def run(argv: list[str]) -> int:
    args = _bridge_args(argv)
    if "--help" in args or "-h" in args or has_display(sys.platform, os.environ):
        return main(["bridge", "--tray", *args])
    print(NO_DISPLAY_NOTICE, file=sys.stderr, flush=True)
    return main(["bridge", *args])


if __name__ == "__main__":
    sys.exit(run(sys.argv[1:]))
