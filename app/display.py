"""Whether this process can show Qt windows or a tray icon: one check for the desktop, the bridge and launchers."""

from __future__ import annotations

from collections.abc import Mapping

NO_TRAY_NOTICE = (
    "qdesk-bridge: no display (DISPLAY and WAYLAND_DISPLAY are unset): running headless, without the tray icon"
)


def has_display(platform: str, environ: Mapping[str, str]) -> bool:
    """A real screen: always on Windows and macOS; on Linux only with X11 or Wayland."""
    if not platform.startswith("linux"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def can_show_tray(platform: str, environ: Mapping[str, str]) -> bool:
    """Whether a tray icon can be shown; Qt's offscreen or minimal platform starts but has no tray."""
    if environ.get("QT_QPA_PLATFORM", "").startswith(("offscreen", "minimal")):
        return False
    return has_display(platform, environ)
