"""Steps of the .deb check: build prerequisites, the packaging venv, build, install with dpkg, remove.

Standard library only: it runs on whatever python3 starts installer/check_deb.py.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACK_VENV = ROOT / ".venv-pack"
PACK_LOCK = ROOT / "installer" / "packaging.lock"
TEMPLATE = ROOT / "installer" / "briefcase_templates" / "linux-system"
SYSTEM_PYTHON = Path("/usr/bin/python3")
# What building a .deb from the offline template needs on Debian/Ubuntu, by package.
BUILD_PACKAGES = ("build-essential", "binutils", "dpkg-dev", "python3-dev", "python3-venv", "python3-pip")
APT_ENV = {"DEBIAN_FRONTEND": "noninteractive"}
# Another apt or dpkg on a shared machine holds the lock for a while; wait rather than fail.
APT_LOCK = ("-o", "DPkg::Lock::Timeout=600")


class CheckFailed(RuntimeError):
    """One step of the check failed; the message says which and why, in one line."""


def say(message: str) -> None:
    print(f"[check-deb] {message}", flush=True)


def run(cmd: Sequence[str | Path], *, env: dict[str, str] | None = None, cwd: Path = ROOT) -> None:
    """Run a step, its output going to ours; a non-zero exit fails the check."""
    result = subprocess.run([str(c) for c in cmd], cwd=cwd, env={**os.environ, **(env or {})})
    if result.returncode != 0:
        raise CheckFailed(f"exit {result.returncode}: {' '.join(str(c) for c in cmd[:8])}")


def missing_packages(names: Sequence[str]) -> list[str]:
    """Debian packages among `names` that are not installed (`dpkg-query` says which)."""
    missing = []
    for name in names:
        query = subprocess.run(
            ["dpkg-query", "-W", "-f=${db:Status-Status}", name], capture_output=True, text=True, check=False
        )
        if query.stdout.strip() != "installed":
            missing.append(name)
    return missing


def apt_install(names: Sequence[str]) -> None:
    """Install Debian packages (as root), refreshing the package lists first."""
    if not names:
        return
    if os.geteuid() != 0:
        raise CheckFailed(f"needs root to install: {' '.join(names)} (or install them and run again)")
    say(f"installing {' '.join(names)}")
    run(["apt-get", *APT_LOCK, "update", "-qq"], env=APT_ENV)
    run(["apt-get", *APT_LOCK, "install", "-y", "-qq", "--no-install-recommends", *names], env=APT_ENV)


def ensure_build_prerequisites() -> None:
    if not sys.platform.startswith("linux") or shutil.which("dpkg-query") is None:
        raise CheckFailed("builds .deb packages on Debian or Ubuntu only")
    apt_install(missing_packages(BUILD_PACKAGES))


def pack_python() -> Path:
    """The packaging venv's interpreter: a venv of the system python3 with installer/packaging.lock."""
    python = PACK_VENV / "bin" / "python"
    stamp = PACK_VENV / ".packaging-lock.sha256"
    digest = hashlib.sha256(PACK_LOCK.read_bytes() + SYSTEM_PYTHON.resolve().name.encode()).hexdigest()
    if python.exists() and stamp.exists() and stamp.read_text().strip() == digest:
        return python
    say(f"creating {PACK_VENV.name}/ from {SYSTEM_PYTHON} with {PACK_LOCK.relative_to(ROOT)}")
    run([SYSTEM_PYTHON, "-m", "venv", "--clear", PACK_VENV])
    run([python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-r", PACK_LOCK])
    stamp.write_text(digest)
    return python


def run_packaging_tests(python: Path, tests: Sequence[str]) -> None:
    """The packaging tests, in the venv that has briefcase and cookiecutter, where none may skip."""
    # --noconftest: the suite's conftest loads the app's own dependencies, which this venv lacks.
    run(
        [python, "-m", "pytest", "--noconftest", "-p", "no:cacheprovider", "-q", *tests],
        env={"QDESK_PACKAGING_CHECK": "1", "QT_QPA_PLATFORM": "offscreen"},
    )


@dataclass(frozen=True, slots=True)
class Built:
    deb: Path
    seconds: float


def build_deb(python: Path, app: str, *, fast: bool) -> Built:
    """`installer/package.py build APP` for Linux system packages with the offline template."""
    env = {}
    if fast:
        # A check, not a release: zstd packs the same files many times faster than dpkg's default xz.
        env = {"DPKG_DEB_COMPRESSOR_TYPE": "zstd", "DPKG_DEB_COMPRESSOR_LEVEL": "3"}
    dist = ROOT / "build" / "briefcase" / app / "dist"
    shutil.rmtree(dist, ignore_errors=True)
    start = time.monotonic()
    run(
        [
            python,
            ROOT / "installer" / "package.py",
            "build",
            app,
            "--platform",
            "linux",
            "--format",
            "system",
            "--template",
            TEMPLATE,
        ],
        env=env,
    )
    debs = sorted(dist.glob("*.deb"))
    if len(debs) != 1:
        raise CheckFailed(f"expected one .deb in {dist}, found {len(debs)}")
    return Built(debs[0], time.monotonic() - start)


def deb_field(deb: Path, field: str) -> str:
    out = subprocess.run(["dpkg-deb", "-f", str(deb), field], capture_output=True, text=True, check=True)
    return out.stdout.strip()


def install_deb(deb: Path) -> str:
    """Install the .deb with dpkg (its Depends from the distribution first); returns the package name."""
    package = deb_field(deb, "Package")
    depends = [d.split("(")[0].split("|")[0].strip() for d in deb_field(deb, "Depends").split(",")]
    apt_install(missing_packages([d for d in depends if d]))
    say(f"installing {deb.name}")
    run(["dpkg", "--force-unsafe-io", "-i", deb])  # a check's install: no fsync per file
    return package


def remove_deb(package: str) -> None:
    say(f"removing {package}")
    subprocess.run(["dpkg", "--force-unsafe-io", "--purge", package], check=False)


def installed_mib(package: str) -> float:
    """What an installed package's files take (dpkg's list of them; briefcase writes no Installed-Size)."""
    out = subprocess.run(["dpkg-query", "-L", package], capture_output=True, text=True, check=True)
    total = 0
    for line in out.stdout.splitlines():
        path = Path(line)
        if path.is_file() and not path.is_symlink():
            total += path.stat().st_size
    return total / 2**20
