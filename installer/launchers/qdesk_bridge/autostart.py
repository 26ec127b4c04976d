"""Start QDesk Bridge at login on Windows: one value under the user's Run key, nothing machine-wide."""

from __future__ import annotations

import subprocess
import sys

RUN_KEY = r"Software\Microsoft\Windows\CurrentVersion\Run"
VALUE_NAME = "QDesk Bridge"


class AutostartError(RuntimeError):
    """Start on login cannot be changed here; the message says why."""


def command_line(argv: list[str]) -> str:
    """The Run value: each argument quoted the way Windows parses it back."""
    return subprocess.list2cmdline(argv)


def set_start_on_login(enabled: bool, argv: list[str]) -> None:
    """Add (`enabled`) or remove the Run entry that starts `argv` when this user logs in."""
    if sys.platform != "win32":
        raise AutostartError("start on login is set up by the Windows build only")
    import winreg

    with winreg.CreateKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
        if enabled:
            winreg.SetValueEx(key, VALUE_NAME, 0, winreg.REG_SZ, command_line(argv))
            return
        try:
            winreg.DeleteValue(key, VALUE_NAME)
        except FileNotFoundError:
            pass  # not registered is the state asked for


def start_on_login() -> bool:
    """Whether the Run entry exists (always False off Windows)."""
    if sys.platform != "win32":
        return False
    import winreg

    try:
        with winreg.OpenKey(winreg.HKEY_CURRENT_USER, RUN_KEY) as key:
            winreg.QueryValueEx(key, VALUE_NAME)
    except FileNotFoundError:
        return False
    return True
