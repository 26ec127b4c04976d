"""`qdesk audit verify`: check the hash chain of the trading audit log; exit 1 at the first broken row."""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from core.trading.audit import AUDIT_FILE, verify


def register(commands: Any) -> None:
    audit = commands.add_parser(
        "audit",
        help="check the trading audit log",
        description="The audit log records every order request, risk decision, "
        "broker reply and arm/disarm in an append-only, hash-chained SQLite table.",
    )
    sub = audit.add_subparsers(dest="audit_command", metavar="ACTION", required=True)
    check = sub.add_parser(
        "verify",
        help="verify the hash chain; exit 1 when a row was edited or removed",
        description="Walk the chain from the first row and report OK, or the first row "
        "whose content or link does not match its hash.",
    )
    check.add_argument(
        "--file",
        metavar="SQLITE",
        help=f"audit log to check (default: {AUDIT_FILE} in the data folder and the demo's in demo/)",
    )
    check.set_defaults(handler=cmd_verify)


def cmd_verify(args: argparse.Namespace, data_dir: Path) -> int:
    from app.cli import CliError

    if args.file:
        paths = [Path(args.file)]
    else:
        paths = [p for p in (data_dir / AUDIT_FILE, data_dir / "demo" / AUDIT_FILE) if p.is_file()]
    if not paths or not paths[0].is_file():
        where = paths[0] if paths else data_dir / AUDIT_FILE
        raise CliError(f"no audit log at {where} (nothing has been traded with this data folder yet)")
    broken = 0
    for path in paths:
        result = verify(path)
        if result.ok:
            print(f"OK: {result.rows} row(s), hash chain intact, signed head matches ({path}; key: {result.anchor})")
            continue
        broken += 1
        row = f"row {result.first_bad}: " if result.first_bad else ""
        print(f"BROKEN: {row}{result.problem} ({path})")
    return 1 if broken else 0
