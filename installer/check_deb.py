"""Build a Linux .deb offline, install it with dpkg on this machine, check the installed app, remove it.

Usage (from the repository root, as root on Debian/Ubuntu):
    python3 installer/check_deb.py qdesk-bridge [--fast] [--keep]
    python3 installer/check_deb.py qdesk --csv-dir DIR [--fast] [--keep]

Both: prerequisites (build-essential, dpkg-dev, python3-dev) from apt, `.venv-pack/` (the system
python3 with installer/packaging.lock), the packaging tests in it, the build with the offline
template, `dpkg -i`, then checks of the installed launcher run with a bare environment and no display:
`--help`, no RUNPATH, a sim bridge that answers `/v1/health` with its printed token (401 without).
QDesk also imports 20 CSV files of DIR (the parse pool's spawned workers), trains LightGBM on 10 of
them and renders a screenshot (`--import-files`, `--train-universe` and `--segments` change that).
`--fast` packs with zstd instead of xz; `--keep` leaves the package installed.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

try:
    from installer import deb_tools as tools
except ImportError:  # run as `python3 installer/check_deb.py`: the script's own folder is on sys.path
    import deb_tools as tools  # type: ignore[no-redef]

PACKAGING_TESTS = ("tests/installer/test_linux_template.py", "tests/installer/test_briefcase_config.py")
NO_DISPLAY_NOTICE = "running headless, without the tray icon"
IMPORT_FILES, TRAIN_SYMBOLS = 20, 10
SEGMENTS = "2012:2016,2017:2018,2019:2020"
STARTUP_TIMEOUT_S = 120


def clean_env(home: Path) -> dict[str, str]:
    """A package user's environment: system PATH, no display, no build-host Python, a scratch home."""
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(home),
        "QDESK_CONFIG_DIR": str(home / "config"),
        "QDESK_DATA_DIR": str(home / "data"),
    }


def check_launcher(exe: Path, env: dict[str, str]) -> None:
    """`APP --help` works, and the launcher links the system libpython with no RUNPATH into a build host."""
    dynamic = subprocess.run(["readelf", "-d", str(exe)], capture_output=True, text=True, check=True).stdout
    if "RPATH" in dynamic or "RUNPATH" in dynamic:
        raise tools.CheckFailed(f"{exe} carries a RUNPATH: {dynamic.split('PATH')[1].splitlines()[0]}")
    libs = subprocess.run(["ldd", str(exe)], capture_output=True, text=True, check=True).stdout
    libpython = next((line.split("=>")[1].split()[0] for line in libs.splitlines() if "libpython" in line), "")
    if not libpython.startswith(("/usr/lib", "/lib")):
        raise tools.CheckFailed(f"{exe} loads libpython from {libpython or 'nowhere'}")
    ran = subprocess.run([str(exe), "--help"], capture_output=True, text=True, env=env, timeout=120)
    if ran.returncode != 0 or "usage:" not in ran.stdout:
        raise tools.CheckFailed(f"{exe.name} --help: exit {ran.returncode}: {ran.stderr.strip()[-300:]}")
    tools.say(f"{exe.name} --help: ok; libpython {libpython}")


def check_bridge(cmd: list[str], env: dict[str, str], work: Path, *, expect_notice: bool) -> None:
    """Start a sim bridge on a free loopback port; /v1/health answers 200 with the printed token, 401 without."""
    log = work / "bridge-stderr.txt"
    with log.open("w") as err_file:
        proc = subprocess.Popen(
            [*cmd, "--source", "sim", "--symbols", "20", "--port", "0"],
            stdout=subprocess.PIPE,
            stderr=err_file,  # a file, not a pipe: the bridge's log must never block on a full pipe
            text=True,
            env=env,
        )
        # A bridge that hangs before printing its address is killed, which ends the read below.
        watchdog = threading.Timer(STARTUP_TIMEOUT_S, proc.kill)
        watchdog.start()
        try:
            url, token = _read_address_and_token(proc)
            watchdog.cancel()
            health = _get(f"{url}/v1/health", token)
            if health[0] != 200 or json.loads(health[1]).get("api") != "1":
                raise tools.CheckFailed(f"/v1/health with the token: {health[0]} {health[1][:200]!r}")
            refused = _get(f"{url}/v1/health", None)
            if refused[0] != 401:
                raise tools.CheckFailed(f"/v1/health without a token answered {refused[0]}, not 401")
            tools.say(f"bridge on {url}: /v1/health 200 with its printed token, 401 without")
        finally:
            watchdog.cancel()
            proc.terminate()
            try:
                proc.communicate(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
    err = log.read_text(errors="replace")
    if proc.returncode not in (0, 130, -15):
        raise tools.CheckFailed(f"the bridge ended with {proc.returncode}: {err.strip()[-300:]}")
    if expect_notice and NO_DISPLAY_NOTICE not in err:
        raise tools.CheckFailed(f"no headless notice without a display; stderr: {err.strip()[-300:]}")
    if expect_notice:
        tools.say("no display: the bridge said so and ran headless")


def _read_address_and_token(proc: subprocess.Popen[str]) -> tuple[str, str]:
    assert proc.stdout is not None
    url = token = ""
    for line in proc.stdout:  # ends when the bridge exits (or the watchdog kills it)
        found = re.search(r" on (https?://\S+) \(API", line)
        url = found[1] if found else url
        if "New access token" in line:
            token = line.rsplit(":", 1)[1].strip()
        if url and token:
            return url, token
    proc.wait()
    raise tools.CheckFailed(f"the bridge printed no address and token (exit {proc.returncode})")


def _get(url: str, token: str | None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=30) as reply:
            return reply.status, reply.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(errors="replace")


def check_qdesk(exe: Path, env: dict[str, str], args: argparse.Namespace, work: Path) -> None:
    """Import N CSV files (the spawned parse pool), train LightGBM on some of them, render a screenshot."""
    files = sorted(args.csv_dir.glob("*.csv"))[: args.import_files]
    if len(files) < args.import_files:
        raise tools.CheckFailed(f"{args.csv_dir} has {len(files)} CSV files; the check imports {args.import_files}")
    folder = work / "import"
    folder.mkdir()
    for path in files:
        shutil.copy2(path, folder / path.name)
    _timed(exe, env, ["data", "import", str(folder)], f"data import ({len(files)} files)")
    universe = args.train_universe or ",".join(p.name.removesuffix(".csv") for p in files[:TRAIN_SYMBOLS])
    train = ["train", "--model", "lightgbm", "--dataset", "alpha158", "--universe", universe]
    _timed(exe, env, [*train, "--segments", args.segments, "--epochs", "5"], "train")
    shot = work / "window.png"
    _timed(exe, env, ["--demo", "--lang", "zh_CN", "--screenshot", str(shot)], "screenshot")
    if not shot.is_file() or shot.stat().st_size < 10_000:
        raise tools.CheckFailed(f"the screenshot {shot} is missing or empty")


def _timed(exe: Path, env: dict[str, str], args: list[str], what: str) -> None:
    start = time.monotonic()
    ran = subprocess.run([str(exe), *args], capture_output=True, text=True, env=env, timeout=1800)
    if ran.returncode != 0:
        raise tools.CheckFailed(f"{exe.name} {what}: exit {ran.returncode}: {ran.stderr.strip()[-500:]}")
    tools.say(f"{exe.name} {what}: ok in {time.monotonic() - start:.0f} s")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="installer/check_deb.py", description=__doc__.split("\n")[0])
    parser.add_argument("app", choices=("qdesk-bridge", "qdesk"))
    parser.add_argument("--csv-dir", type=Path, help="folder of daily-bar CSV files to import (qdesk)")
    parser.add_argument("--import-files", type=int, default=IMPORT_FILES, help="how many to import (default 20)")
    parser.add_argument("--train-universe", help="training universe (default: the first 10 imported symbols)")
    parser.add_argument("--segments", default=SEGMENTS, help=f"training segments (default {SEGMENTS})")
    parser.add_argument("--fast", action="store_true", help="pack with zstd, not xz (a check, not a release)")
    parser.add_argument("--keep", action="store_true", help="leave the package installed")
    args = parser.parse_args(argv)
    if args.app == "qdesk" and (args.csv_dir is None or not args.csv_dir.is_dir()):
        parser.error("qdesk needs --csv-dir DIR with the CSV files to import")
    started = time.monotonic()
    try:
        tools.ensure_build_prerequisites()
        python = tools.pack_python()
        tools.run_packaging_tests(python, PACKAGING_TESTS)
        built = tools.build_deb(python, args.app, fast=args.fast)
        deb_mib = built.deb.stat().st_size / 2**20
        tools.say(f"built {built.deb.name} in {built.seconds:.0f} s: {deb_mib:.0f} MiB")
        package = tools.install_deb(built.deb)
        try:
            with tempfile.TemporaryDirectory(prefix="qdesk-deb-check-") as scratch:
                home = Path(scratch)
                env = clean_env(home)
                exe = Path("/usr/bin") / args.app
                check_launcher(exe, env)
                if args.app == "qdesk-bridge":
                    check_bridge([str(exe)], env, home, expect_notice=True)
                else:
                    check_bridge([str(exe), "bridge"], env, home, expect_notice=False)
                    check_qdesk(exe, env, args, home)
            size = tools.installed_mib(package)
            tools.say(
                f"figures: build {built.seconds:.0f} s, .deb {deb_mib:.0f} MiB, installed {size:.0f} MiB, "
                f"whole check {time.monotonic() - started:.0f} s"
            )
        finally:
            if not args.keep:
                tools.remove_deb(package)
    except (tools.CheckFailed, subprocess.CalledProcessError, subprocess.TimeoutExpired) as exc:
        print(f"[check-deb] FAILED: {exc}", file=sys.stderr, flush=True)
        return 1
    tools.say("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
