"""Set up QDesk's virtual environment from the repo's own files, then run the app or the tests.

Usage (from the repository root, with any Python 3.11):
    python installer/dev.py app [main.py arguments...]     # set up, then start the desktop app
    python installer/dev.py test [pytest arguments...]     # set up, run ruff, ruff format and mypy, then pytest
    python installer/dev.py setup                          # set up only

The environment lives in `.venv/` beside this folder's parent. It is re-installed only when
`installer/requirements.lock` changes, so the second start is instant.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV = ROOT / ".venv"
LOCK = ROOT / "installer" / "requirements.lock"
STAMP = VENV / ".qdesk-lock.sha256"
# pyqlib's wheel metadata drags in Jupyter, cvxpy, gym and full mlflow; its real runtime imports
# are pinned in the lock file, so the wheel itself goes in without its declared dependencies.
QLIB_PIN = "pyqlib==0.9.7"


def venv_python() -> Path:
    """Path of the interpreter inside the project's virtual environment."""
    if os.name == "nt":
        return VENV / "Scripts" / "python.exe"
    return VENV / "bin" / "python"


def _lock_digest() -> str:
    return hashlib.sha256(LOCK.read_bytes() + QLIB_PIN.encode()).hexdigest()


def ensure_environment() -> Path:
    """Create `.venv` and install the pinned dependencies unless already current."""
    if sys.version_info < (3, 10):  # noqa: UP036 - this script runs under whatever python3 the machine has
        sys.exit("QDesk needs Python 3.10 or newer (3.11 recommended); this is " + sys.version.split()[0])
    python = venv_python()
    if not python.exists():
        print(f"[qdesk] creating virtual environment in {VENV}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    digest = _lock_digest()
    if STAMP.exists() and STAMP.read_text().strip() == digest:
        return python
    print("[qdesk] installing dependencies from installer/requirements.lock", flush=True)
    pip = [str(python), "-m", "pip", "install", "--disable-pip-version-check", "--progress-bar", "off"]
    _run(pip + ["-r", str(LOCK)])
    _run(pip + ["--no-deps", QLIB_PIN])
    STAMP.write_text(digest)
    return python


# Shared libraries Qt's xcb/offscreen platforms load on Linux, with the Debian package providing each.
# Without the xcb ones the window (or the bridge's tray icon) on a real display aborts in Qt's plugin.
QT_SYSTEM_LIBS = {
    "EGL": "libegl1",
    "GL": "libgl1",
    "xkbcommon": "libxkbcommon0",
    "xkbcommon-x11": "libxkbcommon-x11-0",
    "fontconfig": "libfontconfig1",
    "dbus-1": "libdbus-1-3",
    "glib-2.0": "libglib2.0-0",
    "xcb-cursor": "libxcb-cursor0",
    "xcb-icccm": "libxcb-icccm4",
    "xcb-image": "libxcb-image0",
    "xcb-keysyms": "libxcb-keysyms1",
    "xcb-randr": "libxcb-randr0",
    "xcb-render-util": "libxcb-render-util0",
    "xcb-shape": "libxcb-shape0",
    "xcb-xinerama": "libxcb-xinerama0",
    "xcb-xkb": "libxcb-xkb1",
}


def ensure_system_libraries() -> None:
    """On Linux, install Qt's system libraries with apt when missing and permitted; else say what to run."""
    if not sys.platform.startswith("linux"):
        return  # macOS and Windows wheels of Qt carry what they need
    import ctypes.util
    import shutil

    missing = sorted(pkg for lib, pkg in QT_SYSTEM_LIBS.items() if ctypes.util.find_library(lib) is None)
    if not missing:
        return
    if shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0:
        print(f"[qdesk] installing system libraries for Qt: {' '.join(missing)}", flush=True)
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        _run(["apt-get", "update", "-qq"], env=env)
        _run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", *missing], env=env)
        return
    print(
        f"[qdesk] Qt needs these system packages: {' '.join(missing)}\n"
        f"        install them with: sudo apt-get install {' '.join(missing)}",
        file=sys.stderr,
        flush=True,
    )


def run_app(cmd: list[str], env: dict[str, str]) -> int:
    """Run the app and return its exit code; Ctrl+C is the app's to handle, not this wrapper's.

    The terminal sends SIGINT to both processes: the app stops with its own one line, and this
    wrapper ignores it while it waits, so it prints no second traceback (and never loses the app's
    exit status to an interrupt that lands while the app is being reaped).
    """
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env)
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)  # set after the start: the app keeps its own
    try:
        code = proc.wait()
    finally:
        signal.signal(signal.SIGINT, previous)
    # A child killed by a signal reports -N; a shell would say 128+N.
    return 128 - code if code < 0 else code


def _run(cmd: list[str], env: dict[str, str] | None = None) -> None:
    result = subprocess.run(cmd, cwd=ROOT, env=env)
    if result.returncode != 0:
        sys.exit(f"[qdesk] command failed ({result.returncode}): {' '.join(cmd[:6])} ...")


# The static checks the test command runs before pytest; any finding fails the run.
STATIC_CHECKS = (
    ("ruff check", ["-m", "ruff", "check", "."]),
    ("ruff format --check", ["-m", "ruff", "format", "--check", "."]),
    ("mypy", ["-m", "mypy"]),
)


def static_checks(python: Path, root: Path = ROOT) -> list[str]:
    """Run every static check (all of them, so one run lists every problem); the names of those that failed."""
    failed = []
    for name, args in STATIC_CHECKS:
        print(f"[qdesk] {name}", flush=True)
        if subprocess.call([str(python), *args], cwd=root) != 0:
            failed.append(name)
    return failed


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"app", "test", "setup"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    python = ensure_environment()
    if command != "setup":
        ensure_system_libraries()
    env = dict(os.environ)
    if command == "setup":
        return 0
    if command == "app":
        return run_app([str(python), str(ROOT / "main.py"), *rest], env)
    failed = static_checks(python)
    if failed:
        print(f"[qdesk] static checks failed: {', '.join(failed)}; the tests were not run", file=sys.stderr, flush=True)
        return 1
    env.setdefault("QT_QPA_PLATFORM", "offscreen")
    return subprocess.call([str(python), "-m", "pytest", *rest], cwd=ROOT, env=env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
