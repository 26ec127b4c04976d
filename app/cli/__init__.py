"""Command line of QDesk: the desktop app by default, headless subcommands for data and services."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from app.i18n import LANGUAGES
from core.paths import resolve_data_dir
from core.settings import AppSettings, load_settings, settings_file


class CliError(Exception):
    """Bad input on the command line: printed as one line, exit code 2."""


def build_parser(*, commands: bool = True) -> argparse.ArgumentParser:
    """The whole command line; without `commands`, only the desktop app's options (no command module loaded)."""
    parser = argparse.ArgumentParser(
        prog="qdesk",
        description="QDesk: China A-share research and trading workstation.",
        epilog="Run without a command to open the desktop app.",
    )
    parser.add_argument(
        "--data-dir", metavar="DIR", help="data folder (default: $QDESK_DATA_DIR, else the OS user data folder)"
    )
    parser.add_argument("--demo", action="store_true", help="run the desktop app on the bundled demo data")
    parser.add_argument(
        "--lang", choices=LANGUAGES, default=None, help="user-interface language (default: from the system locale)"
    )
    parser.add_argument("--screenshot", metavar="PNG", help="render the main window offscreen to PNG and exit")
    if not commands:
        parser.set_defaults(command=None)
        return parser
    from app.cli import bridge_commands, data_commands

    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    data_commands.register(subparsers)
    bridge_commands.register(subparsers)
    for name in ("train", "audit", "backtest", "daily", "routine", "tune", "factor"):
        __import__(f"app.cli.{name}_commands", fromlist=["register"]).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parse(list(sys.argv[1:] if argv is None else argv))
    settings = load_settings(settings_file())
    data_dir = resolve_data_dir(args.data_dir, configured=settings.data_dir)
    try:
        if args.command is None:
            return _run_desktop(args, data_dir, settings)
        return int(args.handler(args, data_dir))
    except CliError as exc:
        print(f"qdesk: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("qdesk: interrupted", file=sys.stderr)
        return 130


def _parse(argv: list[str]) -> argparse.Namespace:
    # Opening the window needs none of the headless commands: their modules (and what they import) are loaded
    # only when the line names a command or asks for help.
    if not {"-h", "--help"} & set(argv):
        args, rest = build_parser(commands=False).parse_known_args(argv)
        if not rest:
            return args
    return build_parser().parse_args(argv)


def _run_desktop(args: argparse.Namespace, data_dir: Path, settings: AppSettings) -> int:
    from app.desktop import run_desktop  # Qt is imported only when the GUI is wanted

    lang = args.lang or settings.language or _default_language()
    screenshot = Path(args.screenshot).resolve() if args.screenshot else None
    return run_desktop(data_dir, bool(args.demo), lang, screenshot, settings=settings, settings_path=settings_file())


def _default_language() -> str:
    import locale

    code = (locale.getlocale()[0] or "").lower()
    return "zh_CN" if code.startswith("zh") or code.startswith("chinese") else "en"
